import { Page } from './layout.js';

/** Two ways in: an operator's API key, or a console user's name and password. */
export function LoginPage({ nonce, error }: { nonce: string; error?: string | undefined }) {
  return (
    <Page title="Log in" nonce={nonce}>
      {error ? (
        <p class="error" role="alert">
          {error}
        </p>
      ) : null}
      <form method="post" action="/console/login">
        <h2>With a user name</h2>
        <label>
          User name
          <input name="username" autocomplete="username" />
        </label>
        <label>
          Password
          <input name="password" type="password" autocomplete="current-password" />
        </label>
        <h2>Or with an API key</h2>
        <label>
          API key (psk_…)
          <input name="key" type="password" autocomplete="off" />
        </label>
        <p>
          <button type="submit">Log in</button>
        </p>
      </form>
    </Page>
  );
}
