import { AppShell, Burger, Button, Group, NavLink, Text, Title, VisuallyHidden } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { NavLink as RouterNavLink, Outlet, useLocation } from 'react-router';
import { useSession, useSessionControls } from '../api/session';

const LINKS = [
  { to: '/', label: 'Overview', end: true },
  { to: '/tasks', label: 'Tasks', end: false },
  { to: '/account', label: 'Account', end: true },
] as const;

/** The frame of every signed-in page: header, navigation (a burger menu on small screens) and the page. */
export function AppLayout() {
  const [opened, { toggle, close }] = useDisclosure(false);
  const { user, isAdmin } = useSession();
  const { signOut } = useSessionControls();
  const { pathname } = useLocation();
  const links = isAdmin ? [...LINKS, { to: '/users', label: 'Users', end: true } as const] : LINKS;

  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 220, breakpoint: 'sm', collapsed: { mobile: !opened } }} padding="md">
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Toggle navigation" />
            <Title order={2} size="h4" c="blue.7">
              Punctual
            </Title>
          </Group>
          <Group gap="sm" wrap="nowrap">
            <Text size="sm" c="dimmed" visibleFrom="sm" truncate maw={260}>
              {user.email}
              {isAdmin && ' · admin'}
            </Text>
            <Button variant="default" size="xs" onClick={signOut}>
              Sign out
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" component="nav" aria-label="Main">
        {links.map((link) => (
          <NavLink
            key={link.to}
            component={RouterNavLink}
            to={link.to}
            end={link.end}
            label={link.label}
            active={link.end ? pathname === link.to : pathname.startsWith(link.to)}
            onClick={close}
          />
        ))}
        <Text size="xs" c="dimmed" hiddenFrom="sm" mt="auto" p="xs">
          <VisuallyHidden>Signed in as </VisuallyHidden>
          {user.email}
        </Text>
      </AppShell.Navbar>
      <AppShell.Main id="main">
        <Outlet />
      </AppShell.Main>
    </AppShell>
  );
}
