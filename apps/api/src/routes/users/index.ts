import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { deleteUser, listUsers, updateUser } from '@punctual/core';
import { IdParams, ManagedUser, Paginated, RefTo, UpdateUserBody, UserListQuery } from '@punctual/contract';
import { Type } from 'typebox';
import { errorResponses } from '../../schemas/common.js';

/**
 * Admins manage accounts. A user who is not an admin gets 403 on every route here (the routes are documented, so a
 * 404 would hide nothing), before their input is looked at.
 */
export const userRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', app.authenticate);
  const context = app.punctual.tasks;
  const security = [{ bearerAuth: [] }];
  const config = { adminOnly: true };
  const lastAdmin = 'An admin cannot disable, demote or delete the last active admin (409, `PUNCTUAL_LAST_ADMIN`).';

  app.get(
    '/users',
    {
      config,
      schema: {
        operationId: 'listUsers',
        tags: ['users'],
        summary: 'Admins: every account, oldest first, with `disabled`; `q` matches part of the email',
        description: 'A user who is not an admin: 403.',
        security,
        querystring: UserListQuery,
        response: { 200: Paginated(RefTo(ManagedUser)), ...errorResponses(400, 401, 403, 429) },
      },
    },
    async (request) => listUsers(context, request.actor, request.query),
  );

  app.patch(
    '/users/:id',
    {
      config,
      schema: {
        operationId: 'updateUser',
        tags: ['users'],
        summary: "Admins: change a user's role or disable (enable) the account; it applies from the user's next request",
        description: `A disabled account's JWTs and API keys answer 401. ${lastAdmin} A user who is not an admin: 403.`,
        security,
        params: IdParams,
        body: UpdateUserBody,
        response: { 200: RefTo(ManagedUser), ...errorResponses(400, 401, 403, 404, 409, 429) },
      },
    },
    async (request) => updateUser(context, request.actor, request.params.id, request.body),
  );

  app.delete(
    '/users/:id',
    {
      config,
      schema: {
        operationId: 'deleteUser',
        tags: ['users'],
        summary: "Admins: delete a user with their tasks, logs and API keys, and withdraw the tasks' queued attempts",
        description: `The user's credentials answer 401 from the next request on. ${lastAdmin} A user who is not an admin: 403.`,
        security,
        params: IdParams,
        response: { 204: Type.Null(), ...errorResponses(400, 401, 403, 404, 409, 429) },
      },
    },
    async (request, reply) => {
      await deleteUser(context, request.actor, request.params.id);
      return reply.status(204).send(null);
    },
  );
};
