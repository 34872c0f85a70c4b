// Vite's `?inline` imports: a style sheet's text, for a component's shadow root.
declare module '*.css?inline' {
  const text: string;
  export default text;
}
