import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../api/client';

export interface Loaded<T> {
  data: T | null;
  error: string | null;
  reload: () => Promise<void>;
}

/** Loads once per `key`, and again every `refreshMs` when given (lists that move while one watches them). */
export function useApi<T>(load: () => Promise<T>, key: string, refreshMs?: number): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const loadRef = useRef(load);
  loadRef.current = load;
  const latestKey = useRef(key);
  latestKey.current = key;

  const reload = useCallback(async () => {
    const forKey = latestKey.current;
    try {
      const value = await loadRef.current();
      if (forKey !== latestKey.current) return;
      setData(value);
      setError(null);
    } catch (e) {
      if (forKey !== latestKey.current) return;
      setError(e instanceof ApiError ? e.message : String(e));
    }
  }, []);

  useEffect(() => {
    setData(null);
    void reload();
    if (!refreshMs) return undefined;
    const timer = setInterval(() => void reload(), refreshMs);
    return () => clearInterval(timer);
  }, [key, refreshMs, reload]);

  return { data, error, reload };
}
