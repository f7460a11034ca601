export function NotFound() {
  return (
    <section>
      <h1>Not found</h1>
      <p>
        There is no such page. <a href="/console">Go to the overview</a>.
      </p>
    </section>
  );
}
