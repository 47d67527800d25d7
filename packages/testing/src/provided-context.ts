declare module 'vitest' {
  export interface ProvidedContext {
    /** A server URL (database part ignored) where test databases are created. */
    databaseUrl: string;
    /** Name of the migrated template database test databases are cloned from. */
    templateDatabase: string;
    redisUrl: string;
  }
}

export {};
