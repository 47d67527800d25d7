import {
  MantineProvider,
  Modal,
  Notification,
  NumberInput,
  Pagination,
  PasswordInput,
  TextInput,
  Textarea,
  createTheme,
} from '@mantine/core';
import { Notifications } from '@mantine/notifications';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { lazy, Suspense } from 'react';
import { Outlet, RouterProvider, createBrowserRouter } from 'react-router';
import { statusOf } from './api/api-error';
import { SessionProvider } from './api/session';
import { AppLayout } from './components/app-layout';
import { Loading } from './components/query-state';
import { RequireSession } from './components/require-session';
import { AccountPage } from './pages/account-page';
import { ErrorPage } from './pages/error-page';
import { NotFoundPage } from './pages/not-found-page';
import { SignInPage } from './pages/sign-in-page';
import { EditTaskPage, NewTaskPage } from './pages/task-form-page';
import { TaskPage } from './pages/task-page';
import { TasksPage } from './pages/tasks-page';
import { UsersPage } from './pages/users-page';

// The charts (Recharts) are most of the bundle: loaded with the overview, not before sign-in.
const OverviewPage = lazy(() => import('./pages/overview-page').then((module) => ({ default: module.OverviewPage })));

const theme = createTheme({
  primaryColor: 'blue',
  defaultRadius: 'md',
  fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
  // A label is its field's name, exactly ("Password", not "Password *"); `required` still tells assistive technology.
  components: {
    TextInput: TextInput.extend({ defaultProps: { withAsterisk: false } }),
    PasswordInput: PasswordInput.extend({ defaultProps: { withAsterisk: false } }),
    Textarea: Textarea.extend({ defaultProps: { withAsterisk: false } }),
    // Numbers go to the API as typed: its 400 says what is out of range, on the field.
    NumberInput: NumberInput.extend({ defaultProps: { withAsterisk: false, clampBehavior: 'none' } }),
    // Their X is an icon alone: it needs a name for screen readers.
    Modal: Modal.extend({ defaultProps: { closeButtonProps: { 'aria-label': 'Close dialog' } } }),
    Notification: Notification.extend({ defaultProps: { closeButtonProps: { 'aria-label': 'Dismiss notification' } } }),
    // A page button's name is "Page 2", not "2"; the arrows say which way they go.
    Pagination: Pagination.extend({
      defaultProps: {
        getItemProps: (page: number) => ({ 'aria-label': `Page ${page}` }),
        getControlProps: (control: string) => ({ 'aria-label': `${control[0]?.toUpperCase()}${control.slice(1)} page` }),
      },
    }),
  },
});

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // A 4xx will not change by asking again; a dropped connection or a 5xx might.
      retry: (failures, error) => failures < 2 && !((statusOf(error) ?? 0) >= 400 && (statusOf(error) ?? 0) < 500),
      refetchOnWindowFocus: true,
    },
  },
});

/** Providers that need the router (the session's sign-out navigates through it). */
function Root() {
  return (
    <SessionProvider>
      <Outlet />
    </SessionProvider>
  );
}

const router = createBrowserRouter([
  {
    element: <Root />,
    errorElement: <ErrorPage />,
    children: [
      { path: '/sign-in', element: <SignInPage /> },
      {
        element: (
          <RequireSession>
            <AppLayout />
          </RequireSession>
        ),
        children: [
          {
            index: true,
            element: (
              <Suspense fallback={<Loading label="Loading the overview" />}>
                <OverviewPage />
              </Suspense>
            ),
          },
          { path: 'tasks', element: <TasksPage /> },
          { path: 'tasks/new', element: <NewTaskPage /> },
          { path: 'tasks/:id', element: <TaskPage /> },
          { path: 'tasks/:id/edit', element: <EditTaskPage /> },
          { path: 'account', element: <AccountPage /> },
          { path: 'users', element: <UsersPage /> },
          { path: '*', element: <NotFoundPage /> },
        ],
      },
    ],
  },
]);

export function App() {
  return (
    <MantineProvider theme={theme} defaultColorScheme="light">
      <Notifications position="top-right" />
      <QueryClientProvider client={queryClient}>
        <RouterProvider router={router} />
      </QueryClientProvider>
    </MantineProvider>
  );
}
