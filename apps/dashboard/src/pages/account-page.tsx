import {
  ActionIcon,
  Alert,
  Badge,
  Button,
  Card,
  CopyButton,
  Group,
  NativeSelect,
  PasswordInput,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
  Tooltip,
  VisuallyHidden,
} from '@mantine/core';
import { useDocumentTitle } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import type { ApiKey } from '@punctual/client';
import { useState, type FormEvent } from 'react';
import { fieldMessageOf, fieldPathOf, messageOf } from '../api/api-error';
import {
  useApiKeys,
  useChangePassword,
  useCreateApiKey,
  useRevealSigningSecret,
  useRevokeApiKey,
  useRotateSigningSecret,
  type ApiKeyScope,
} from '../api/account';
import { useSession, useSessionControls } from '../api/session';
import { ConfirmDialog, type ConfirmRequest } from '../components/confirm-dialog';
import { DateTime } from '../components/date-time';
import { LoadError, Loading } from '../components/query-state';

/** Two overlapping sheets, or a check mark once copied (the font may have no glyph for either). */
function CopyIcon({ copied }: { copied: boolean }) {
  return (
    <svg width="16" height="16" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" aria-hidden>
      {copied ? (
        <path d="M5 12l5 5L20 7" />
      ) : (
        <>
          <rect x="9" y="9" width="11" height="11" rx="2" />
          <path d="M5 15V6a2 2 0 0 1 2-2h9" />
        </>
      )}
    </svg>
  );
}

/** A secret in a read-only field, with a copy button. */
function SecretField({ label, value, description }: { label: string; value: string; description?: string }) {
  return (
    <TextInput
      label={label}
      description={description}
      value={value}
      readOnly
      styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
      onFocus={(event) => event.currentTarget.select()}
      rightSectionWidth={40}
      rightSection={
        <CopyButton value={value}>
          {({ copied, copy }) => (
            <Tooltip label={copied ? 'Copied' : 'Copy'}>
              <ActionIcon variant="subtle" color={copied ? 'teal' : 'gray'} onClick={copy} aria-label={`Copy ${label.toLowerCase()}`}>
                <CopyIcon copied={copied} />
              </ActionIcon>
            </Tooltip>
          )}
        </CopyButton>
      }
    />
  );
}

function ApiKeys({ confirm }: { confirm: (request: ConfirmRequest | null) => void }) {
  const keys = useApiKeys();
  const create = useCreateApiKey();
  const revoke = useRevokeApiKey();
  const [name, setName] = useState('');
  const [scope, setScope] = useState<ApiKeyScope>('full');
  const [expiresAt, setExpiresAt] = useState('');
  const [created, setCreated] = useState<{ name: string; key: string } | null>(null);
  const fieldError = fieldPathOf(create.error)[0];

  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate(
      { name: name.trim(), scope, expiresAt: expiresAt ? new Date(expiresAt).toISOString() : undefined },
      {
        onSuccess: (key) => {
          setCreated({ name: key.name, key: key.key });
          setName('');
          setExpiresAt('');
        },
      },
    );
  };

  const askRevoke = (key: ApiKey) =>
    confirm({
      title: `Revoke “${key.name}”?`,
      message: 'Requests with this key are refused (401) from now on. This cannot be undone.',
      confirmLabel: 'Revoke key',
      onConfirm: () =>
        revoke.mutate(key.id, {
          onSuccess: () => notifications.show({ color: 'green', message: `Revoked “${key.name}”` }),
          onError: (error) => notifications.show({ color: 'red', title: 'Revoke failed', message: messageOf(error) }),
          onSettled: () => confirm(null),
        }),
    });

  return (
    <Card withBorder padding="lg" component="section" aria-labelledby="api-keys-heading">
      <Title order={2} size="h3" id="api-keys-heading">
        API keys
      </Title>
      <Text size="sm" c="dimmed" mb="md">
        For servers and scripts: send <code>Authorization: Bearer pk_…</code>. A read key may only read.
      </Text>
      <form onSubmit={submit} noValidate>
        <Group align="flex-start" gap="sm" wrap="wrap">
          <TextInput
            label="Key name"
            placeholder="deploy script"
            required
            value={name}
            onChange={(event) => setName(event.currentTarget.value)}
            error={fieldError === 'name' ? fieldMessageOf(create.error) : undefined}
            w={{ base: '100%', xs: 220 }}
          />
          <NativeSelect
            label="Scope"
            value={scope}
            onChange={(event) => setScope(event.currentTarget.value as ApiKeyScope)}
            data={[
              { value: 'full', label: 'Full access' },
              { value: 'read', label: 'Read only' },
            ]}
            w={{ base: '100%', xs: 150 }}
          />
          <TextInput
            type="datetime-local"
            label="Expires at"
            description="Empty: never"
            value={expiresAt}
            onChange={(event) => setExpiresAt(event.currentTarget.value)}
            error={fieldError === 'expiresAt' ? fieldMessageOf(create.error) : undefined}
            w={{ base: '100%', xs: 230 }}
          />
          <Button type="submit" loading={create.isPending} mt={{ base: 0, xs: 25 }}>
            Create API key
          </Button>
        </Group>
      </form>
      {create.isError && !fieldError && (
        <Alert color="red" mt="sm" role="alert">
          {messageOf(create.error)}
        </Alert>
      )}
      {created && (
        <Alert
          color="teal"
          mt="md"
          title={`Key “${created.name}” created`}
          withCloseButton
          onClose={() => setCreated(null)}
          closeButtonLabel="Dismiss"
        >
          <Stack gap="xs">
            <Text size="sm">Copy it now: it is shown this once and never again.</Text>
            <SecretField label="New API key" value={created.key} />
          </Stack>
        </Alert>
      )}
      <div style={{ marginTop: 'var(--mantine-spacing-md)' }}>
        {keys.isPending ? (
          <Loading label="Loading API keys" />
        ) : keys.isError ? (
          <LoadError error={keys.error} onRetry={() => void keys.refetch()} title="Could not load the API keys" />
        ) : keys.data.data.length === 0 ? (
          <Text size="sm" c="dimmed">
            No API keys yet.
          </Text>
        ) : (
          <Table.ScrollContainer minWidth={620}>
            <Table verticalSpacing="xs" fz="sm">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>Scope</Table.Th>
                  <Table.Th>Key</Table.Th>
                  <Table.Th>Created</Table.Th>
                  <Table.Th>Last used</Table.Th>
                  <Table.Th>Expires</Table.Th>
                  <Table.Th>
                    <VisuallyHidden>Actions</VisuallyHidden>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {keys.data.data.map((key) => (
                  <Table.Tr key={key.id}>
                    <Table.Td fw={500}>{key.name}</Table.Td>
                    <Table.Td>
                      <Badge variant="light" color={key.scope === 'full' ? 'blue' : 'gray'} style={{ textTransform: 'none' }}>
                        {key.scope}
                      </Badge>
                    </Table.Td>
                    <Table.Td ff="monospace">pk_{key.prefix}…</Table.Td>
                    <Table.Td>
                      <DateTime value={key.createdAt} relative />
                    </Table.Td>
                    <Table.Td>{key.lastUsedAt ? <DateTime value={key.lastUsedAt} relative /> : 'never'}</Table.Td>
                    <Table.Td>{key.expiresAt ? <DateTime value={key.expiresAt} relative /> : 'never'}</Table.Td>
                    <Table.Td ta="right">
                      <Button size="xs" variant="light" color="red" aria-label={`Revoke ${key.name}`} onClick={() => askRevoke(key)}>
                        Revoke
                      </Button>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </div>
    </Card>
  );
}

function SigningSecret({ confirm }: { confirm: (request: ConfirmRequest | null) => void }) {
  const reveal = useRevealSigningSecret();
  const rotate = useRotateSigningSecret();
  const [secret, setSecret] = useState<string | null>(null);

  const askRotate = () =>
    confirm({
      title: 'Rotate the signing secret?',
      message:
        'A new secret signs your calls from now on. For 24 hours calls carry signatures by both the new and the old secret, so update your receivers within that time.',
      confirmLabel: 'Rotate secret',
      onConfirm: () =>
        rotate.mutate(undefined, {
          onSuccess: ({ secret: next }) => {
            setSecret(next);
            notifications.show({ color: 'green', message: 'Signing secret rotated' });
          },
          onError: (error) => notifications.show({ color: 'red', title: 'Rotation failed', message: messageOf(error) }),
          onSettled: () => confirm(null),
        }),
    });

  return (
    <Card withBorder padding="lg" component="section" aria-labelledby="signing-secret-heading">
      <Title order={2} size="h3" id="signing-secret-heading">
        Signing secret
      </Title>
      <Text size="sm" c="dimmed" mb="md">
        Every call Punctual makes carries Standard Webhooks signature headers made with this secret, so your endpoints can check a call came
        from here.
      </Text>
      <Stack gap="sm">
        {secret && <SecretField label="Signing secret" value={secret} />}
        {reveal.isError && (
          <Alert color="red" role="alert">
            {messageOf(reveal.error)}
          </Alert>
        )}
        <Group gap="sm">
          {secret ? (
            <Button variant="default" onClick={() => setSecret(null)}>
              Hide signing secret
            </Button>
          ) : (
            <Button
              variant="default"
              loading={reveal.isPending}
              onClick={() => reveal.mutate(undefined, { onSuccess: ({ secret: shown }) => setSecret(shown) })}
            >
              Reveal signing secret
            </Button>
          )}
          <Button variant="light" color="red" loading={rotate.isPending} onClick={askRotate}>
            Rotate signing secret
          </Button>
        </Group>
      </Stack>
    </Card>
  );
}

function ChangePassword() {
  const change = useChangePassword();
  const { signOut } = useSessionControls();
  const [currentPassword, setCurrentPassword] = useState('');
  const [newPassword, setNewPassword] = useState('');
  const field = fieldPathOf(change.error)[0];

  const submit = (event: FormEvent) => {
    event.preventDefault();
    change.mutate(
      { currentPassword, newPassword },
      {
        onSuccess: () => {
          notifications.show({ color: 'green', message: 'Password changed. Sign in with the new one.' });
          // Every session issued before the change has ended, this one included.
          signOut();
        },
      },
    );
  };

  return (
    <Card withBorder padding="lg" component="section" aria-labelledby="password-heading">
      <Title order={2} size="h3" id="password-heading" mb="md">
        Password
      </Title>
      <form onSubmit={submit} noValidate>
        <Stack gap="sm" maw={360}>
          <PasswordInput
            label="Current password"
            autoComplete="current-password"
            required
            value={currentPassword}
            onChange={(event) => setCurrentPassword(event.currentTarget.value)}
            error={field === 'currentPassword' ? fieldMessageOf(change.error) : undefined}
          />
          <PasswordInput
            label="New password"
            description="At least 8 characters. Signs you out everywhere; API keys keep working."
            autoComplete="new-password"
            required
            value={newPassword}
            onChange={(event) => setNewPassword(event.currentTarget.value)}
            error={field === 'newPassword' ? fieldMessageOf(change.error) : undefined}
          />
          {change.isError && !field && (
            <Alert color="red" role="alert">
              {messageOf(change.error)}
            </Alert>
          )}
          <Button type="submit" loading={change.isPending} variant="default" style={{ alignSelf: 'flex-start' }}>
            Change password
          </Button>
        </Stack>
      </form>
    </Card>
  );
}

export function AccountPage() {
  useDocumentTitle('Account · Punctual');
  const { user } = useSession();
  const [confirming, setConfirming] = useState<ConfirmRequest | null>(null);
  return (
    <Stack gap="lg" maw={1100}>
      <div>
        <Title order={1}>Account</Title>
        <Text c="dimmed">
          {user.email} · {user.role}
        </Text>
      </div>
      <ApiKeys confirm={setConfirming} />
      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="lg">
        <SigningSecret confirm={setConfirming} />
        <ChangePassword />
      </SimpleGrid>
      <ConfirmDialog request={confirming} onClose={() => setConfirming(null)} />
    </Stack>
  );
}
