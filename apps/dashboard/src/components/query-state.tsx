import { Alert, Button, Center, EmptyState, Loader, Stack } from '@mantine/core';
import type { ReactNode } from 'react';
import { messageOf } from '../api/api-error';

/** While the first answer is on its way. */
export function Loading({ label = 'Loading' }: { label?: string }) {
  return (
    <Center py="xl" role="status" aria-label={label}>
      <Loader />
    </Center>
  );
}

/** A request that failed, with a way to try again. */
export function LoadError({ error, onRetry, title = 'Could not load this' }: { error: unknown; onRetry?: () => void; title?: string }) {
  return (
    <Alert color="red" title={title} role="alert">
      <Stack gap="xs" align="flex-start">
        {messageOf(error)}
        {onRetry && (
          <Button size="xs" variant="light" color="red" onClick={onRetry}>
            Try again
          </Button>
        )}
      </Stack>
    </Alert>
  );
}

/** Nothing to show yet, and what to do about it. */
export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <EmptyState title={title} py="xl">
      {children}
    </EmptyState>
  );
}

/** A section showing one page of a list the API pages: where it is, how to move, and how its query is doing. */
export interface PagedQueryProps {
  total: number;
  page: number;
  pageSize: number;
  onPage: (page: number) => void;
  error: unknown;
  loading: boolean;
}
