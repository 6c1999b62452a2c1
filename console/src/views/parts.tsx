/** Small pieces every view uses: a table head and an error line. */
export function Head(props: { cols: string[] }) {
  return (
    <thead>
      <tr>
        {props.cols.map((c) => (
          <th key={c} scope="col">
            {c.startsWith('sr:') ? <span class="sr-only">{c.slice(3)}</span> : c}
          </th>
        ))}
      </tr>
    </thead>
  );
}

export function Alert(props: { message: string | null }) {
  if (!props.message) return null;
  return (
    <p class="error" role="alert">
      {props.message}
    </p>
  );
}
