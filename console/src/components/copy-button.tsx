import { useState } from 'preact/hooks';

/** Copies `text`; says so for screen readers too. */
export function CopyButton(props: { text: string; label?: string }) {
  const [copied, setCopied] = useState<string | null>(null);
  async function copy() {
    try {
      await navigator.clipboard.writeText(props.text);
      setCopied('Copied');
    } catch {
      setCopied('Copy failed: select the text and copy it by hand');
    }
  }
  return (
    <span class="copy">
      <button type="button" onClick={() => void copy()}>
        {props.label ?? 'Copy'}
      </button>
      <span role="status">{copied}</span>
    </span>
  );
}
