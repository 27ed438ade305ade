// Later migrations extend earlier statements by editing their text instead of restating them, so that each rule is
// written once. Every edit must find exactly what it edits: when an earlier text no longer holds it, importing the
// migration fails with the migration's name, instead of a statement that silently kept the old rule.

/** The edits one migration (`who`, as in "migration 17") makes to earlier migrations' text. */
export function derive(who: string) {
  /** The text of `sql` from `head` up to and including the first `end` after it. */
  const between = (sql: string, head: string, end: string): string => {
    const start = sql.indexOf(head);
    const stop = start < 0 ? -1 : sql.indexOf(end, start + head.length);
    if (stop < 0) throw new Error(`${who}: the earlier text it extends no longer holds ${JSON.stringify(head)} … ${JSON.stringify(end)}`);
    return sql.slice(start, stop + end.length);
  };
  return {
    between,
    /** The CREATE statement of function `name` in `sql`, to the end of its body. */
    functionIn: (sql: string, name: string): string => between(sql, `CREATE OR REPLACE FUNCTION ${name}(`, '$fn$;'),
    /** Replaces `from` by `to` in `text`, which must hold it exactly once. */
    once(text: string, from: string, to: string): string {
      const at = text.indexOf(from);
      if (at < 0 || text.indexOf(from, at + 1) >= 0) throw new Error(`${who}: the earlier text it extends no longer holds ${JSON.stringify(from)} once`);
      return text.slice(0, at) + to + text.slice(at + from.length);
    },
  };
}
