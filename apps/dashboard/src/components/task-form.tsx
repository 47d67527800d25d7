import {
  Accordion,
  Alert,
  Button,
  Checkbox,
  Fieldset,
  Group,
  Loader,
  NativeSelect,
  NumberInput,
  PasswordInput,
  Radio,
  SegmentedControl,
  SimpleGrid,
  Stack,
  Switch,
  Text,
  Textarea,
  TextInput,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { fieldMessageOf, fieldPathOf, messageOf } from '../api/api-error';
import { useSchedulePreview } from '../api/schedules';
import { OccurrenceList } from './occurrence-list';
import { FormValueError, fieldOfApiPath, type FieldErrors, type TaskField, type TaskFormValues } from './task-form-values';

/** Code-like fields type in monospace; their labels stay in the page's font. */
const MONOSPACE_INPUT = { input: { fontFamily: 'var(--mantine-font-family-monospace)' } };

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;

/** The advanced sections, and which fields each holds (opened when the API's 400 names one of them). */
const SECTIONS: Record<string, TaskField[]> = {
  retries: ['backoffType', 'backoffDelayMs', 'backoffMaxDelayMs', 'backoffJitter', 'successCodes', 'retryOn'],
  notifications: [
    'notifyOnFailure',
    'notifyOnRetry',
    'notifyEmail',
    'notifyAfterConsecutiveFailures',
    'callbackOnSuccess',
    'callbackOnFailure',
  ],
  flow: ['flowKey', 'flowParallelism', 'flowRatePerSecond', 'misfire', 'template'],
};

interface TaskFormProps {
  initial: TaskFormValues;
  /** Editing an existing task: its token is kept unless replaced or removed. */
  hasToken?: boolean;
  submitLabel: string;
  cancelTo: string;
  /** Sends the values; a thrown `ApiRequestError` or `FormValueError` is shown on its field and above the buttons. */
  onSubmit: (values: TaskFormValues) => Promise<void>;
}

export function TaskForm({ initial, hasToken, submitLabel, cancelTo, onSubmit }: TaskFormProps) {
  const [values, setValues] = useState(initial);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // Closed at first; a 400 naming a field inside one opens it.
  const [openSections, setOpenSections] = useState<string[]>([]);

  const set = <F extends TaskField>(field: F, value: TaskFormValues[F]) => {
    setValues((current) => ({ ...current, [field]: value }));
    if (errors[field]) setErrors(({ [field]: _, ...rest }) => rest);
  };
  const text = (field: TaskField & keyof { [K in TaskField as TaskFormValues[K] extends string ? K : never]: true }) => ({
    value: values[field],
    onChange: (event: { currentTarget: { value: string } }) => set(field, event.currentTarget.value as never),
    error: errors[field],
  });
  const num = (field: TaskField) => ({
    value: values[field] as number | string,
    onChange: (value: number | string) => set(field, value as never),
    error: errors[field],
    allowDecimal: false,
  });

  const [cron] = useDebouncedValue(values.schedule === 'recurring' ? values.cron : '', 400);
  const [zone] = useDebouncedValue(values.timezone, 400);
  const preview = useSchedulePreview(cron, zone);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setErrors({});
    setFormError(null);
    try {
      await onSubmit(values);
    } catch (error) {
      const field = error instanceof FormValueError ? error.field : fieldOfApiPath(fieldPathOf(error));
      if (field) {
        setErrors({ [field]: fieldMessageOf(error) });
        const section = Object.entries(SECTIONS).find(([, fields]) => fields.includes(field))?.[0];
        if (section) setOpenSections((open) => (open.includes(section) ? open : [...open, section]));
      }
      setFormError(messageOf(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={(event) => void submit(event)} noValidate>
      <Stack gap="lg">
        <Fieldset legend="Request">
          <Stack gap="sm">
            <TextInput label="Name" required {...text('name')} data-autofocus />
            <Textarea label="Description" autosize minRows={1} maxRows={4} {...text('description')} />
            <Group gap="sm" align="flex-start" wrap="wrap">
              <NativeSelect
                label="Method"
                data={[...METHODS]}
                value={values.method}
                onChange={(event) => set('method', event.currentTarget.value as TaskFormValues['method'])}
                error={errors.method}
                w={{ base: '100%', xs: 120 }}
              />
              <TextInput label="URL" required placeholder="https://api.example.com/hook" {...text('url')} style={{ flex: 1 }} miw={220} />
            </Group>
            <Textarea
              label="Headers"
              description='One "Name: value" per line. Values of credential headers (Authorization, X-Api-Key, …) are stored encrypted and shown as "[redacted]".'
              placeholder="X-Source: punctual"
              autosize
              minRows={2}
              maxRows={8}
              styles={MONOSPACE_INPUT}
              {...text('headers')}
            />
            <Stack gap={4}>
              <Group justify="space-between" align="flex-end">
                <Text component="label" htmlFor="task-body" size="sm" fw={500}>
                  Body
                </Text>
                <SegmentedControl
                  size="xs"
                  aria-label="Payload format"
                  value={values.bodyFormat}
                  onChange={(value) => set('bodyFormat', value)}
                  data={[
                    { value: 'json', label: 'JSON' },
                    { value: 'text', label: 'Text' },
                  ]}
                />
              </Group>
              <Textarea
                id="task-body"
                aria-label="Body"
                description={
                  values.bodyFormat === 'json'
                    ? 'Sent as JSON (content-type application/json unless a header sets it)'
                    : 'Sent as it is (text/plain unless a header sets it)'
                }
                placeholder={values.bodyFormat === 'json' ? '{ "report": "daily" }' : ''}
                autosize
                minRows={3}
                maxRows={14}
                styles={MONOSPACE_INPUT}
                {...text('body')}
              />
            </Stack>
            <PasswordInput
              label="Bearer token"
              description={
                hasToken
                  ? 'A token is set (it is never shown). Type a new one to replace it.'
                  : 'Sent as "Authorization: Bearer <token>"; stored encrypted, never shown again.'
              }
              autoComplete="off"
              disabled={values.removeToken}
              {...text('token')}
            />
            {hasToken && (
              <Checkbox
                label="Remove the token"
                checked={values.removeToken}
                onChange={(event) => set('removeToken', event.currentTarget.checked)}
              />
            )}
          </Stack>
        </Fieldset>

        <Fieldset legend="When">
          <Stack gap="sm">
            <Radio.Group label="Schedule" value={values.schedule} onChange={(value) => set('schedule', value)}>
              <Group gap="lg" mt={6}>
                <Radio value="one-off" label="One-off" />
                <Radio value="recurring" label="Recurring" />
              </Group>
            </Radio.Group>
            {values.schedule === 'one-off' ? (
              <TextInput
                type="datetime-local"
                label="Run at"
                description="In your time zone. Leave empty to run now; a past time runs at once."
                {...text('runAt')}
                w={{ base: '100%', xs: 280 }}
              />
            ) : (
              <>
                <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
                  <TextInput
                    label="Cron expression"
                    required
                    placeholder="0 9 * * 1-5"
                    description="minute hour day-of-month month day-of-week (6 fields: seconds first)"
                    styles={MONOSPACE_INPUT}
                    {...text('cron')}
                  />
                  <TextInput
                    label="Time zone"
                    description="IANA name the expression is read in, e.g. Europe/Berlin or UTC"
                    {...text('timezone')}
                  />
                </SimpleGrid>
                <CronPreview cron={cron} preview={preview} />
                <NativeSelect
                  label="Missed runs"
                  description="What to do with occurrences that could not start on time (no worker running, paused, a long attempt)"
                  value={values.misfire}
                  onChange={(event) => set('misfire', event.currentTarget.value as TaskFormValues['misfire'])}
                  error={errors.misfire}
                  data={[
                    { value: 'once', label: 'Run once to catch up' },
                    { value: 'skip', label: 'Skip them' },
                    { value: 'all', label: 'Run each of them (at most 100)' },
                  ]}
                  w={{ base: '100%', xs: 320 }}
                />
              </>
            )}
          </Stack>
        </Fieldset>

        <Fieldset legend="Delivery">
          <Stack gap="sm">
            <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="sm">
              <NumberInput
                label="Timeout (ms)"
                description="For the whole call, response included"
                min={100}
                step={1000}
                {...num('timeoutMs')}
              />
              <NumberInput label="Max retries" description="Attempts per run: 1 + this" min={0} max={25} {...num('maxRetries')} />
            </SimpleGrid>
            <TextInput label="Tags" description="Separated by commas" placeholder="billing, nightly" {...text('tags')} />
          </Stack>
        </Fieldset>

        <Accordion multiple variant="separated" value={openSections} onChange={setOpenSections}>
          <Accordion.Item value="retries">
            <Accordion.Control>Retries and what counts as success</Accordion.Control>
            <Accordion.Panel>
              <Stack gap="sm">
                <SimpleGrid cols={{ base: 1, xs: 3 }} spacing="sm">
                  <NativeSelect
                    label="Backoff"
                    value={values.backoffType}
                    onChange={(event) => set('backoffType', event.currentTarget.value as TaskFormValues['backoffType'])}
                    error={errors.backoffType}
                    data={[
                      { value: '', label: 'Server default' },
                      { value: 'exponential', label: 'Exponential' },
                      { value: 'fixed', label: 'Fixed' },
                    ]}
                  />
                  <NumberInput label="First retry delay (ms)" min={0} step={1000} {...num('backoffDelayMs')} />
                  <NumberInput label="Longest delay (ms)" min={0} step={1000} {...num('backoffMaxDelayMs')} />
                </SimpleGrid>
                <Switch
                  label="Add jitter (a random 0–25 %)"
                  checked={values.backoffJitter}
                  onChange={(event) => set('backoffJitter', event.currentTarget.checked)}
                  error={errors.backoffJitter}
                />
                <TextInput
                  label="Success codes"
                  description="Status codes or classes that count as success, separated by commas. Empty: 2xx"
                  placeholder="2xx, 404"
                  {...text('successCodes')}
                />
                <TextInput
                  label="Retry on"
                  description="Failures worth another attempt: any, or classes, codes, network, timeout. Empty: any"
                  placeholder="5xx, 429, network, timeout"
                  {...text('retryOn')}
                />
              </Stack>
            </Accordion.Panel>
          </Accordion.Item>
          <Accordion.Item value="notifications">
            <Accordion.Control>Emails and callbacks</Accordion.Control>
            <Accordion.Panel>
              <Stack gap="sm">
                <Switch
                  label="Email when a run fails"
                  checked={values.notifyOnFailure}
                  onChange={(event) => set('notifyOnFailure', event.currentTarget.checked)}
                  error={errors.notifyOnFailure}
                />
                <Switch
                  label="Email on every retry"
                  checked={values.notifyOnRetry}
                  onChange={(event) => set('notifyOnRetry', event.currentTarget.checked)}
                  error={errors.notifyOnRetry}
                />
                <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="sm">
                  <TextInput label="Email to" type="email" description="Default: your account's email" {...text('notifyEmail')} />
                  <NumberInput
                    label="Alert after failed runs in a row"
                    description="Recurring: one email after this many, one when it recovers"
                    min={1}
                    {...num('notifyAfterConsecutiveFailures')}
                  />
                </SimpleGrid>
                <TextInput
                  label="Callback on success"
                  placeholder="https://…"
                  description="POSTed a signed summary when a run succeeds"
                  {...text('callbackOnSuccess')}
                />
                <TextInput
                  label="Callback on failure"
                  placeholder="https://…"
                  description="POSTed a signed summary when a run fails"
                  {...text('callbackOnFailure')}
                />
              </Stack>
            </Accordion.Panel>
          </Accordion.Item>
          <Accordion.Item value="flow">
            <Accordion.Control>Flow control and templates</Accordion.Control>
            <Accordion.Panel>
              <Stack gap="sm">
                <Text size="sm" c="dimmed">
                  Your tasks that share a flow key make at most so many calls at once and per second, across all workers.
                </Text>
                <SimpleGrid cols={{ base: 1, xs: 3 }} spacing="sm">
                  <TextInput label="Flow key" placeholder="billing-api" {...text('flowKey')} />
                  <NumberInput label="Parallelism" min={1} {...num('flowParallelism')} />
                  <NumberInput label="Rate per second" min={0.001} {...num('flowRatePerSecond')} allowDecimal />
                </SimpleGrid>
                <Text size="sm" c="dimmed">
                  Placeholders {'{{taskId}} {{runId}} {{attempt}} {{scheduledFor}} {{now}}'} in the query string, header values and payload
                  can be filled in at each attempt.
                </Text>
                <Switch
                  label="Fill in placeholders"
                  checked={values.template}
                  onChange={(event) => set('template', event.currentTarget.checked)}
                  error={errors.template}
                />
              </Stack>
            </Accordion.Panel>
          </Accordion.Item>
        </Accordion>

        {formError && (
          <Alert color="red" title="The task was not saved" role="alert">
            {formError}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button variant="default" component={Link} to={cancelTo}>
            Back
          </Button>
          <Button type="submit" loading={busy}>
            {submitLabel}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

function CronPreview({ cron, preview }: { cron: string; preview: ReturnType<typeof useSchedulePreview> }) {
  if (cron.trim() === '') {
    return (
      <Text size="sm" c="dimmed">
        Type a cron expression to see when it fires.
      </Text>
    );
  }
  if (preview.isPending) return <Loader size="sm" aria-label="Previewing the schedule" />;
  if (preview.isError) {
    return (
      <Text size="sm" c="red.7" role="status">
        {messageOf(preview.error).replace(/^querystring\//, '')}
      </Text>
    );
  }
  return <OccurrenceList occurrences={preview.data.occurrences} headingOrder={3} />;
}
