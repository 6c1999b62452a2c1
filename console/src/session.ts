/**
 * The signed-in token, kept in sessionStorage (this tab only, gone when it closes) and never in a
 * URL. The notice says why the user was sent back to sign in (an expired token, say).
 */
const KEY = 'weft.console.token';

export const readToken = (): string | null => sessionStorage.getItem(KEY);
export const saveToken = (token: string) => sessionStorage.setItem(KEY, token.trim());
export const forgetToken = () => sessionStorage.removeItem(KEY);

/** The hash route: #/<projectId>/<view>. Project ids are not secrets; tokens never go here. */
export const VIEWS = ['network', 'names', 'convergence', 'exposure', 'webhooks'] as const;
export type View = (typeof VIEWS)[number];

export function parseRoute(hash: string): { projectId: string | null; view: View } {
  const [, projectId, view] = hash.replace(/^#/, '').split('/');
  return { projectId: projectId || null, view: (VIEWS as readonly string[]).includes(view) ? (view as View) : 'network' };
}

export const routeHash = (projectId: string, view: View) => `#/${projectId}/${view}`;
