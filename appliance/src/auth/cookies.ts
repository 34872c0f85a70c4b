import type { Context } from 'koa';
import { CLAIM_COOKIE, CLAIM_TTL_MS, SESSION_COOKIE, SESSION_TTL_MS } from './auth.js';

const base = (ctx: Context) => ({ httpOnly: true, sameSite: 'strict' as const, path: '/', overwrite: true, secure: ctx.secure });

export const setSessionCookie = (ctx: Context, token: string) => ctx.cookies.set(SESSION_COOKIE, token, { ...base(ctx), maxAge: SESSION_TTL_MS });
export const clearSessionCookie = (ctx: Context) => ctx.cookies.set(SESSION_COOKIE, '', { ...base(ctx), maxAge: 0 });
export const setClaimCookie = (ctx: Context, token: string) => ctx.cookies.set(CLAIM_COOKIE, token, { ...base(ctx), maxAge: CLAIM_TTL_MS });
export const clearClaimCookie = (ctx: Context) => ctx.cookies.set(CLAIM_COOKIE, '', { ...base(ctx), maxAge: 0 });
export const sessionToken = (ctx: Context) => ctx.cookies.get(SESSION_COOKIE) ?? null;
export const claimToken = (ctx: Context) => ctx.cookies.get(CLAIM_COOKIE) ?? null;
