import { type ManagedUser, unwrap } from '@punctual/client';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useSession } from './session';

/** Admins only: accounts, oldest first; `q` matches part of the email. */
export function useUsers(query: { page: number; limit: number; q?: string }, enabled = true) {
  const { client } = useSession();
  return useQuery({
    queryKey: ['users', query],
    queryFn: ({ signal }) => unwrap(client.GET('/api/v1/users', { params: { query }, signal })),
    placeholderData: keepPreviousData,
    enabled,
  });
}

export function useUpdateUser() {
  const { client } = useSession();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, ...body }: { id: string; role?: ManagedUser['role']; disabled?: boolean }) =>
      unwrap(client.PATCH('/api/v1/users/{id}', { params: { path: { id } }, body })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['users'] }),
  });
}
