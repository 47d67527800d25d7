import { Button, Group, Modal, Text } from '@mantine/core';
import { useRef, useState, type ReactNode } from 'react';

export interface ConfirmRequest {
  title: string;
  message: ReactNode;
  /** The confirming button's text, naming what it does ("Delete task"). */
  confirmLabel: string;
  /** Runs once per request: the dialog ignores further clicks until it closes or a returned promise settles. */
  onConfirm: () => void | Promise<unknown>;
}

/** Asks before something destructive. */
export function ConfirmDialog({ request, busy, onClose }: { request: ConfirmRequest | null; busy?: boolean; onClose: () => void }) {
  // A ref, not only state: a double click delivers the second click before a re-render could disable the button.
  const running = useRef<ConfirmRequest | null>(null);
  const [runningFor, setRunningFor] = useState<ConfirmRequest | null>(null);
  const pending = request !== null && runningFor === request;

  const confirm = () => {
    if (request === null || running.current === request) return;
    running.current = request;
    setRunningFor(request);
    const result = request.onConfirm();
    if (result instanceof Promise) {
      // The caller reports a failure itself; the dialog only unlocks so the user may try again.
      void result
        .catch(() => undefined)
        .finally(() => {
          if (running.current === request) running.current = null;
          setRunningFor((current) => (current === request ? null : current));
        });
    }
  };

  return (
    <Modal opened={request !== null} onClose={onClose} title={request?.title} centered>
      <Text mb="lg">{request?.message}</Text>
      <Group justify="flex-end">
        <Button variant="default" onClick={onClose}>
          Go back
        </Button>
        <Button color="red" loading={pending || busy} onClick={confirm} data-autofocus>
          {request?.confirmLabel ?? 'Confirm'}
        </Button>
      </Group>
    </Modal>
  );
}
