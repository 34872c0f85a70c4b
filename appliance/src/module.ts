/** Every part of hearthd is a module the composition root starts and stops in a fixed order. */
export interface Module {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}
