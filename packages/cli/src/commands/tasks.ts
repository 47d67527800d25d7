import { Command, InvalidArgumentError, Option } from 'commander';
import type { Task } from '@punctual/client';
import { CliError, UsageError } from '../cli-errors.js';
import { type CommandContext, printJsonResults } from '../command-context.js';
import { repeatable, wholeNumber } from '../option-parsers.js';
import { keyClient, request } from '../connection.js';
import { confirm, isInteractive } from '../prompt.js';
import { formatTime } from '../format-time.js';
import { renderLogs, renderTask, renderTaskPage } from '../tables.js';
import { buildCreateBody, type CreateTaskFlags } from '../task-body.js';

const STATUSES = ['pending', 'running', 'retrying', 'completed', 'failed', 'cancelled', 'paused'] as const;
const SORTS = ['createdAt', '-createdAt', 'nextRunAt', '-nextRunAt'] as const;
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];

/** The actions that take ids and answer with the task, and how their result reads. */
const ACTIONS = {
  run: { summary: 'run tasks once now (a recurring schedule is unchanged)', done: 'run started' },
  pause: { summary: 'pause tasks: nothing fires until they are resumed', done: 'paused' },
  resume: { summary: 'resume paused tasks (a time already past runs at once)', done: 'resumed' },
  cancel: { summary: 'cancel tasks for good: nothing fires afterwards', done: 'cancelled' },
} as const;

export function tasksCommand(context: CommandContext): Command {
  const tasks = new Command('tasks').description('create, list, inspect and control tasks');

  tasks
    .command('create')
    .description('create a task (one-off with --at or now, recurring with --cron)')
    .option('--from-file <path>', 'a JSON file with any fields of the API\'s create body ("-" for stdin); flags override it')
    .option('--name <name>', 'what the task is called')
    .option('--description <text>', 'a longer description')
    .option('--url <url>', 'the URL to call')
    .addOption(new Option('--method <method>', 'the HTTP method (default GET)').argParser((value) => checkMethod(value)))
    .option('--cron <expression>', 'recurring: 5 fields, or 6 with leading seconds')
    .option('--timezone <zone>', 'the IANA zone the cron expression is read in (default UTC)')
    .option('--at <time>', 'one-off: when to run, ISO 8601 (default now)')
    .option('--header <header>', "a request header, 'Name: value' (repeatable)", repeatable)
    .option('--body <json>', 'the request body: JSON, or @path to a JSON file')
    .option('--tag <tag>', 'a tag (repeatable)', repeatable)
    .option('--max-retries <n>', 'retries per run after the first attempt (0..25)', wholeNumber(0))
    .option('--timeout-ms <ms>', 'deadline of one attempt, in milliseconds', wholeNumber(0))
    .action(async (_options: unknown, command: Command) => {
      // This command's --url is the task's; context.options() gives the API's.
      const flags = command.opts<CreateTaskFlags>();
      const { json } = context.options(command);
      if (flags.cron !== undefined && flags.at !== undefined)
        throw new UsageError('--cron and --at cannot go together: a task is recurring or one-off');
      const settings = await context.settings(command);
      const body = await buildCreateBody(context.io, flags);
      const task = await request(settings, keyClient(settings).POST('/api/v1/tasks', { body }));
      if (json) context.printJson(task);
      else context.print(`Created task ${task.id} (${task.name}): ${task.status}, next run ${formatTime(task.nextRunAt, context.now())}.`);
    });

  tasks
    .command('list')
    .alias('ls')
    .description('list your tasks, newest first')
    .addOption(new Option('--status <status>', 'only tasks in this status').choices(STATUSES))
    .option('--tag <tag>', 'only tasks with this tag')
    .option('--q <text>', 'only tasks whose name, description or URL contains this text')
    .addOption(new Option('--sort <order>', 'order').choices(SORTS))
    .option('--page <n>', 'the page to show', wholeNumber(1), 1)
    .option('--limit <n>', 'tasks per page (1..100)', wholeNumber(1, 100), 20)
    .action(async (_options: unknown, command: Command) => {
      const options = context.options<{
        status?: Task['status'];
        tag?: string;
        q?: string;
        sort?: (typeof SORTS)[number];
        page: number;
        limit: number;
      }>(command);
      const settings = await context.settings(command);
      const query = {
        page: options.page,
        limit: options.limit,
        status: options.status,
        tag: options.tag,
        q: options.q,
        sort: options.sort,
      };
      const page = await request(settings, keyClient(settings).GET('/api/v1/tasks', { params: { query } }));
      if (options.json) context.printJson(page);
      else context.print(renderTaskPage(page, context.now()));
    });

  tasks
    .command('get')
    .description('show one task')
    .argument('<id>', 'the task id')
    .action(async (id: string, _options: unknown, command: Command) => {
      const { json } = context.options(command);
      const settings = await context.settings(command);
      const task = await request(settings, keyClient(settings).GET('/api/v1/tasks/{id}', { params: { path: { id } } }));
      if (json) context.printJson(task);
      else context.print(renderTask(task, context.now()));
    });

  tasks
    .command('logs')
    .description("show a task's attempts, newest first")
    .argument('<id>', 'the task id')
    .addOption(new Option('--outcome <outcome>', 'only attempts with this outcome').choices(['succeeded', 'failed'] as const))
    .option('--page <n>', 'the page to show', wholeNumber(1), 1)
    .option('--limit <n>', 'attempts per page (1..100)', wholeNumber(1, 100), 20)
    .action(async (id: string, _options: unknown, command: Command) => {
      const options = context.options<{ outcome?: 'succeeded' | 'failed'; page: number; limit: number }>(command);
      const settings = await context.settings(command);
      const query = { page: options.page, limit: options.limit, outcome: options.outcome };
      const page = await request(settings, keyClient(settings).GET('/api/v1/tasks/{id}/logs', { params: { path: { id }, query } }));
      if (options.json) context.printJson(page);
      else context.print(renderLogs(page.data, page.total, context.now()));
    });

  for (const [action, { summary, done }] of Object.entries(ACTIONS)) {
    tasks
      .command(action)
      .description(summary)
      .argument('<ids...>', 'task ids')
      .action(async (ids: string[], _options: unknown, command: Command) => {
        const { json } = context.options(command);
        const settings = await context.settings(command);
        const client = keyClient(settings);
        const path = `/api/v1/tasks/{id}/${action as keyof typeof ACTIONS}` as const;
        const results = await eachId(context, ids, (id) => request(settings, client.POST(path, { params: { path: { id } } })));
        if (json) printJsonResults(context, ids, results);
        else for (const task of results) context.print(`${done}: ${task.id} (${task.name}), now ${task.status}`);
      });
  }

  tasks
    .command('delete')
    .alias('rm')
    .description('delete tasks, their queued work and their logs')
    .argument('<ids...>', 'task ids')
    .option('-y, --yes', 'do not ask for confirmation (required when stdin is not a terminal)')
    .action(async (ids: string[], _options: unknown, command: Command) => {
      const { yes, json } = context.options<{ yes?: boolean }>(command);
      const settings = await context.settings(command);
      const client = keyClient(settings);
      if (!yes) await confirmDelete(context, ids);
      const deleted = await eachId(context, ids, async (id) => {
        await request(settings, client.DELETE('/api/v1/tasks/{id}', { params: { path: { id } } }));
        return id;
      });
      if (json)
        printJsonResults(
          context,
          ids,
          deleted.map((id) => ({ id, deleted: true })),
        );
      else for (const id of deleted) context.print(`deleted: ${id}`);
    });

  return tasks;
}

async function confirmDelete(context: CommandContext, ids: string[]): Promise<void> {
  if (!isInteractive(context.io)) throw new UsageError('refusing to delete without --yes: stdin is not a terminal, so no one can confirm');
  const what = ids.length === 1 ? `task ${ids[0]}` : `${ids.length} tasks (${ids.join(', ')})`;
  if (!(await confirm(context.io, `Delete ${what} and its logs? This cannot be undone.`, '--yes'))) {
    throw new UsageError('not deleted: the answer was not yes');
  }
}

/**
 * Does `work` for each id in turn, so the API's rate limit and messages stay per task; a failure is reported with its
 * id (when there are several) and the others still go ahead.
 */
async function eachId<Result>(context: CommandContext, ids: string[], work: (id: string) => Promise<Result>): Promise<Result[]> {
  const results: Result[] = [];
  for (const id of ids) {
    try {
      results.push(await work(id));
    } catch (error) {
      if (!(error instanceof CliError)) throw error;
      context.fail(ids.length > 1 ? `${id}: ${error.message}` : error.message);
    }
  }
  return results;
}

function checkMethod(value: string): string {
  const method = value.toUpperCase();
  if (!METHODS.includes(method)) throw new InvalidArgumentError(`expected one of ${METHODS.join(', ')}`);
  return method;
}
