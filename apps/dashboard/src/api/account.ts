import { unwrap } from '@punctual/client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useSession } from './session';

export type ApiKeyScope = 'full' | 'read';

export function useApiKeys() {
  const { client } = useSession();
  return useQuery({
    queryKey: ['api-keys'],
    queryFn: ({ signal }) => unwrap(client.GET('/api/v1/auth/api-keys', { signal })),
  });
}

export function useCreateApiKey() {
  const { client } = useSession();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: { name: string; scope: ApiKeyScope; expiresAt?: string }) => unwrap(client.POST('/api/v1/auth/api-keys', { body })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['api-keys'] }),
  });
}

export function useRevokeApiKey() {
  const { client } = useSession();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(client.DELETE('/api/v1/auth/api-keys/{id}', { params: { path: { id } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['api-keys'] }),
  });
}

/** Fetched on demand only (the reveal button), and never cached beyond this page. */
export function useRevealSigningSecret() {
  const { client } = useSession();
  return useMutation({ mutationFn: () => unwrap(client.GET('/api/v1/auth/signing-secret')) });
}

export function useRotateSigningSecret() {
  const { client } = useSession();
  return useMutation({ mutationFn: () => unwrap(client.POST('/api/v1/auth/signing-secret/rotate')) });
}

export function useChangePassword() {
  const { client } = useSession();
  return useMutation({
    mutationFn: (body: { currentPassword: string; newPassword: string }) => unwrap(client.POST('/api/v1/auth/password', { body })),
  });
}
