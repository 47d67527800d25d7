import { Alert, Anchor, Button, Center, Paper, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { useDocumentTitle } from '@mantine/hooks';
import { useState, type FormEvent } from 'react';
import { Navigate, useSearchParams } from 'react-router';
import { fieldMessageOf, fieldPathOf, messageOf, statusOf } from '../api/api-error';
import { useSessionControls } from '../api/session';

type Mode = 'sign-in' | 'register';

/** Where to go after signing in: a path inside the app (`next`), never another origin. */
function destinationOf(next: string | null): string {
  return next?.startsWith('/') && !next.startsWith('//') ? next : '/';
}

function failureOf(mode: Mode, error: unknown): { field?: 'email' | 'password'; message: string } {
  if (mode === 'register' && statusOf(error) === 403) {
    return { message: 'Registration is closed on this server. Ask an administrator for an account.' };
  }
  const field = fieldPathOf(error)[0];
  return field === 'email' || field === 'password' ? { field, message: fieldMessageOf(error) } : { message: messageOf(error) };
}

export function SignInPage() {
  const { session, endedBecause, signIn, register } = useSessionControls();
  const [searchParams] = useSearchParams();
  const [mode, setMode] = useState<Mode>('sign-in');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<ReturnType<typeof failureOf> | null>(null);
  useDocumentTitle(mode === 'sign-in' ? 'Sign in · Punctual' : 'Create an account · Punctual');

  if (session) return <Navigate to={destinationOf(searchParams.get('next'))} replace />;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setFailure(null);
    try {
      await (mode === 'sign-in' ? signIn(email, password) : register(email, password));
    } catch (error) {
      setFailure(failureOf(mode, error));
    } finally {
      setBusy(false);
    }
  };

  const switchTo = (next: Mode) => {
    setMode(next);
    setFailure(null);
  };

  return (
    <Center mih="100dvh" p="md" bg="var(--mantine-color-gray-light)">
      <Paper component="main" withBorder shadow="sm" p="xl" radius="md" w="100%" maw={400}>
        <Stack gap="md">
          <div>
            <Text fw={700} c="blue.7" size="lg">
              Punctual
            </Text>
            <Title order={1} size="h2">
              {mode === 'sign-in' ? 'Sign in' : 'Create an account'}
            </Title>
          </div>
          {endedBecause && mode === 'sign-in' && (
            <Alert color="yellow" role="status">
              {endedBecause}
            </Alert>
          )}
          <form onSubmit={(event) => void submit(event)} noValidate>
            <Stack gap="sm">
              <TextInput
                label="Email"
                type="email"
                autoComplete={mode === 'sign-in' ? 'username' : 'email'}
                required
                value={email}
                onChange={(event) => setEmail(event.currentTarget.value)}
                error={failure?.field === 'email' ? failure.message : undefined}
                data-autofocus
              />
              <PasswordInput
                label="Password"
                autoComplete={mode === 'sign-in' ? 'current-password' : 'new-password'}
                description={mode === 'register' ? 'At least 8 characters' : undefined}
                required
                value={password}
                onChange={(event) => setPassword(event.currentTarget.value)}
                error={failure?.field === 'password' ? failure.message : undefined}
              />
              {failure && !failure.field && (
                <Alert color="red" role="alert">
                  {failure.message}
                </Alert>
              )}
              <Button type="submit" loading={busy} fullWidth mt="xs">
                {mode === 'sign-in' ? 'Sign in' : 'Register'}
              </Button>
            </Stack>
          </form>
          <Text size="sm" ta="center">
            {mode === 'sign-in' ? (
              <>
                New here?{' '}
                <Anchor component="button" type="button" onClick={() => switchTo('register')}>
                  Create an account
                </Anchor>
              </>
            ) : (
              <>
                Have an account?{' '}
                <Anchor component="button" type="button" onClick={() => switchTo('sign-in')}>
                  Sign in instead
                </Anchor>
              </>
            )}
          </Text>
        </Stack>
      </Paper>
    </Center>
  );
}
