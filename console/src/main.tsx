/** The console's entry: sign-in until a token works, then the projects and their views (docs/console.md). */
import { render } from 'preact';
import { useState } from 'preact/hooks';
import { Console } from './views/console.tsx';
import { SignIn } from './views/sign-in.tsx';
import { forgetToken, readToken, saveToken } from './session.ts';

function App() {
  const [token, setToken] = useState(readToken());
  const [notice, setNotice] = useState<string | null>(null);
  if (!token)
    return (
      <SignIn
        notice={notice}
        onSignedIn={(t) => {
          saveToken(t);
          setNotice(null);
          setToken(t);
        }}
      />
    );
  return (
    <Console
      token={token}
      onSignOut={(why) => {
        forgetToken();
        setNotice(why);
        setToken(null);
      }}
    />
  );
}

render(<App />, document.getElementById('app')!);
