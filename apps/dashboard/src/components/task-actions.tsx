import { Button, Group, Tooltip, VisuallyHidden } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import type { Task } from '@punctual/client';
import { transitionRefusal, type TaskOperation } from '@punctual/scheduling';
import { Fragment, useId, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { messageOf } from '../api/api-error';
import { useDeleteTask, useTaskAction, type TaskAction } from '../api/tasks';
import { ConfirmDialog, type ConfirmRequest } from './confirm-dialog';

interface ActionButton {
  action: TaskAction;
  label: string;
  done: string;
  /** Destructive: asked in a dialog first. */
  confirm?: { title: string; message: string; confirmLabel: string };
}

const ACTIONS: ActionButton[] = [
  { action: 'run', label: 'Run now', done: 'Run started' },
  { action: 'pause', label: 'Pause', done: 'Paused' },
  { action: 'resume', label: 'Resume', done: 'Resumed' },
  { action: 'retry', label: 'Retry', done: 'Retrying: a new run starts now' },
  { action: 'reset-retries', label: 'Reset retries', done: 'Attempts of the current run reset to 0' },
  {
    action: 'cancel',
    label: 'Cancel task',
    done: 'Cancelled',
    confirm: {
      title: 'Cancel this task?',
      message: 'Nothing runs for it afterwards, and a cancelled task cannot be resumed.',
      confirmLabel: 'Cancel task',
    },
  },
];

/**
 * Why an operation does not apply to the task now (the 409 the API would answer), or null: read off the same table of
 * transitions the API enforces.
 */
export function refusalOf(operation: TaskOperation, task: Task): string | null {
  return transitionRefusal(operation, { status: task.status, recurring: task.cron !== null });
}

/** The task's actions; one that does not apply now is disabled, with the reason in its tooltip and its description. */
export function TaskActions({ task }: { task: Task }) {
  const navigate = useNavigate();
  const act = useTaskAction(task.id);
  const remove = useDeleteTask();
  const [confirming, setConfirming] = useState<ConfirmRequest | null>(null);
  const baseId = useId();

  const run = (button: ActionButton) =>
    act.mutate(button.action, {
      onSuccess: () => notifications.show({ color: 'green', message: button.done }),
      onError: (error) => notifications.show({ color: 'red', title: `${button.label} failed`, message: messageOf(error) }),
      onSettled: () => setConfirming(null),
    });

  const askDelete = () =>
    setConfirming({
      title: 'Delete this task?',
      message: `“${task.name}”, its queued runs and its attempt logs are removed for good.`,
      confirmLabel: 'Delete task',
      onConfirm: () =>
        remove.mutate(task.id, {
          onSuccess: () => {
            notifications.show({ color: 'green', message: `Deleted “${task.name}”` });
            void navigate('/tasks', { replace: true });
          },
          onError: (error) => notifications.show({ color: 'red', title: 'Delete failed', message: messageOf(error) }),
          onSettled: () => setConfirming(null),
        }),
    });

  return (
    <>
      <Group gap="xs" wrap="wrap">
        {ACTIONS.map((button) => {
          const refusal = refusalOf(button.action, task);
          const reasonId = `${baseId}-${button.action}-refusal`;
          return (
            // Not `disabled`: a disabled button cannot take focus, so keyboard users would never learn why. aria-disabled
            // keeps it focusable; its tooltip opens on focus and touch too, and the reason is its description.
            <Fragment key={button.action}>
              <Tooltip label={refusal} disabled={refusal === null} events={{ hover: true, focus: true, touch: true }}>
                <Button
                  size="sm"
                  variant={button.confirm ? 'light' : 'default'}
                  color={button.confirm ? 'red' : undefined}
                  data-disabled={refusal !== null || undefined}
                  aria-disabled={refusal !== null || undefined}
                  aria-describedby={refusal === null ? undefined : reasonId}
                  loading={act.isPending && act.variables === button.action}
                  onClick={() => {
                    if (refusal !== null) return;
                    if (button.confirm) setConfirming({ ...button.confirm, onConfirm: () => run(button) });
                    else run(button);
                  }}
                >
                  {button.label}
                </Button>
              </Tooltip>
              {/* Outside the button: inside, it would become part of the button's name. */}
              {refusal !== null && (
                <VisuallyHidden component="span" id={reasonId}>
                  {refusal}
                </VisuallyHidden>
              )}
            </Fragment>
          );
        })}
        <Button size="sm" variant="default" component={Link} to={`/tasks/${task.id}/edit`}>
          Edit
        </Button>
        <Button size="sm" color="red" onClick={askDelete}>
          Delete task
        </Button>
      </Group>
      <ConfirmDialog request={confirming} busy={act.isPending || remove.isPending} onClose={() => setConfirming(null)} />
    </>
  );
}
