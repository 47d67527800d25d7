import { Button, Group, Modal, Text } from '@mantine/core';
import type { ReactNode } from 'react';

export interface ConfirmRequest {
  title: string;
  message: ReactNode;
  onConfirm: () => void;
}

/** Asks before something destructive: a dialog whose confirming button is "Confirm". */
export function ConfirmDialog({ request, busy, onClose }: { request: ConfirmRequest | null; busy?: boolean; onClose: () => void }) {
  return (
    <Modal opened={request !== null} onClose={onClose} title={request?.title} centered>
      <Text mb="lg">{request?.message}</Text>
      <Group justify="flex-end">
        <Button variant="default" onClick={onClose}>
          Go back
        </Button>
        <Button color="red" loading={busy} onClick={() => request?.onConfirm()} data-autofocus>
          Confirm
        </Button>
      </Group>
    </Modal>
  );
}
