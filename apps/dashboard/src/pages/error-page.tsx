import { Alert, Button, Center, Stack, Title } from '@mantine/core';
import { useRouteError } from 'react-router';
import { messageOf } from '../api/api-error';

/** What a page that broke while drawing shows instead of a blank screen. */
export function ErrorPage() {
  const error = useRouteError();
  return (
    <Center mih="60dvh" p="md">
      <Stack maw={520} gap="md">
        <Title order={1}>Something went wrong</Title>
        <Alert color="red" role="alert">
          This page could not be shown: {messageOf(error)}
        </Alert>
        <Button variant="default" component="a" href="/" style={{ alignSelf: 'flex-start' }}>
          Start again from the overview
        </Button>
      </Stack>
    </Center>
  );
}
