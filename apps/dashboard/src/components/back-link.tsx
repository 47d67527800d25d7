import { Anchor } from '@mantine/core';
import type { ReactNode } from 'react';
import { Link } from 'react-router';

/** The way up from a page; its name never repeats a navigation link's ("Tasks"), so each link's name stays unique. */
export function BackLink({ to, children }: { to: string; children: ReactNode }) {
  return (
    <Anchor component={Link} to={to} size="sm">
      <span aria-hidden>← </span>
      {children}
    </Anchor>
  );
}
