# The page of one period (`--period=2024-11`, `2024-Q4` or `2024`), or the list of them (`/reports/`, whose parameter
# is `index`), as pages.ts wrote it with every other; a name that is no period's gives the page saying there is no
# report for it. A shell, not node: a build runs this once per period, and node takes a fifth of a second to start.
# When the pages are not written yet (the first page a preview shows), period-page.js writes them.
name=index
for argument in "$@"; do
  case "$argument" in --period=*) name="${argument#--period=}" ;; esac
done
case "$name" in
  index | [0-9][0-9][0-9][0-9] | [0-9][0-9][0-9][0-9]-[0-9][0-9] | [0-9][0-9][0-9][0-9]-Q[1-4]) ;;
  *) name=missing ;;
esac
here=$(dirname "$0")
pages="$here/../.observablehq/cache/reports/.pages"
if [ ! -f "$pages/periods.json" ]; then exec node "$here/period-page.js" "$name"; fi
if [ ! -f "$pages/$name.md" ]; then name=missing; fi
exec cat "$pages/$name.md"
