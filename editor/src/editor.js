// The SPARQL editor of llmkg's query page: CodeMirror 6 with the SPARQL mode of
// @codemirror/legacy-modes, completion of keywords, of the server's predeclared prefixes,
// of the ontology's classes and properties, and of entities by label (GET /search), and
// the endpoint's syntax errors marked at their line and column. Everything is bundled
// into static/editor.js: the page loads nothing from another host.
import { EditorState } from "@codemirror/state";
import { EditorView, keymap, lineNumbers, highlightActiveLine, drawSelection } from "@codemirror/view";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { StreamLanguage, syntaxHighlighting, defaultHighlightStyle, bracketMatching } from "@codemirror/language";
import { sparql } from "@codemirror/legacy-modes/mode/sparql";
import { autocompletion, completionKeymap, closeBrackets } from "@codemirror/autocomplete";
import { lintGutter, setDiagnostics } from "@codemirror/lint";
import { searchKeymap } from "@codemirror/search";

const KEYWORDS = ["SELECT", "DISTINCT", "REDUCED", "WHERE", "OPTIONAL", "FILTER", "UNION", "MINUS", "GRAPH",
  "SERVICE", "BIND", "VALUES", "GROUP BY", "HAVING", "ORDER BY", "LIMIT", "OFFSET", "ASK", "CONSTRUCT",
  "DESCRIBE", "FROM", "FROM NAMED", "PREFIX", "BASE", "AS", "COUNT", "SUM", "MIN", "MAX", "AVG", "SAMPLE",
  "GROUP_CONCAT", "SEPARATOR", "STR", "LANG", "LANGMATCHES", "DATATYPE", "BOUND", "IRI", "BNODE", "RAND",
  "ABS", "CEIL", "FLOOR", "ROUND", "CONCAT", "STRLEN", "UCASE", "LCASE", "CONTAINS", "STRSTARTS", "STRENDS",
  "REGEX", "REPLACE", "YEAR", "MONTH", "DAY", "NOW", "COALESCE", "IF", "EXISTS", "NOT EXISTS", "IN", "NOT IN",
  "ASC", "DESC", "isIRI", "isLITERAL", "isBLANK", "isNUMERIC"];

function completions(opts) {
  const prefixes = opts.prefixes || {};
  const terms = opts.terms || [];   // [{name: "llmkg:Model", kind: "class"|"property", label}]
  return async (ctx) => {
    const word = ctx.matchBefore(/[A-Za-z_][\w.-]*:?[\w.-]*|\?\w*/);
    if (!word || (word.from === word.to && !ctx.explicit)) return null;
    const text = word.text;
    if (text.startsWith("?")) return null;
    const options = [];
    if (text.includes(":")) {
      const [pfx, local] = text.split(":");
      for (const t of terms) {
        if (t.name.startsWith(pfx + ":")) options.push({ label: t.name, type: t.kind === "class" ? "class" : "property", detail: t.label || "" });
      }
      // entities by label: model:gpt → GET /search
      if (local && local.length >= 2 && opts.search) {
        try {
          const r = await fetch("/search?limit=10&q=" + encodeURIComponent(local), { headers: { Accept: "application/json" } });
          if (r.ok) {
            const doc = await r.json();
            for (const h of doc.hits) {
              const short = opts.shorten ? opts.shorten(h.iri) : h.iri;
              if (short.startsWith(pfx + ":")) options.push({ label: short, type: "variable", detail: h.label + " (" + h.kind + ")" });
              else options.push({ label: "<" + h.iri + ">", apply: "<" + h.iri + ">", type: "variable", detail: h.label + " (" + h.kind + ")" });
            }
          }
        } catch (e) { /* offline or failed: no entity hints */ }
      }
    } else {
      for (const k of KEYWORDS) options.push({ label: k, type: "keyword" });
      for (const p of Object.keys(prefixes)) options.push({ label: p + ":", type: "namespace", detail: prefixes[p] });
    }
    return { from: word.from, options, validFor: /^[\w.:-]*$/ };
  };
}

function create(textarea, opts) {
  opts = opts || {};
  let syncing = false;
  const view = new EditorView({
    state: EditorState.create({
      doc: textarea.value,
      extensions: [
        lineNumbers(), history(), drawSelection(), highlightActiveLine(), bracketMatching(), closeBrackets(),
        StreamLanguage.define(sparql), syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
        autocompletion({ override: [completions(opts)], activateOnTyping: true }),
        lintGutter(),
        keymap.of([
          { key: "Mod-Enter", run: () => { if (opts.onRun) opts.onRun(); return true; } },
          ...completionKeymap, ...defaultKeymap, ...historyKeymap, ...searchKeymap, indentWithTab]),
        EditorView.lineWrapping,
        EditorView.updateListener.of((u) => {
          if (u.docChanged && !syncing) {
            textarea.value = u.state.doc.toString();
            textarea.dispatchEvent(new Event("input", { bubbles: true }));
            view.dispatch(setDiagnostics(u.state, []));
          }
        }),
      ],
    }),
  });
  textarea.parentNode.insertBefore(view.dom, textarea.nextSibling);
  textarea.hidden = true;
  view.dom.classList.add("sparql-editor");
  return {
    view,
    get value() { return view.state.doc.toString(); },
    set value(text) {
      if (text === view.state.doc.toString()) return;
      syncing = true;
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
      syncing = false;
      textarea.value = text;
    },
    focus() { view.focus(); },
    // "line 1, column 25: expected ..." from the endpoint: marked where it points
    markError(message) {
      const m = /line (\d+), column (\d+)/.exec(message || "");
      if (!m) return false;
      const doc = view.state.doc;
      const line = doc.line(Math.min(Math.max(1, +m[1]), doc.lines));
      // at least one character: the one pointed at, else the line's last (an error "at the
      // end of the query" points past it)
      let from = Math.min(line.from + Math.max(0, +m[2] - 1), line.to);
      if (from >= line.to) from = Math.max(line.from, line.to - 1);
      const to = Math.max(from + 1, Math.min(line.to, from + 1));
      view.dispatch(setDiagnostics(view.state, [{ from, to: Math.min(to, doc.length), severity: "error", message }]));
      return true;
    },
  };
}

window.LlmkgEditor = { create };
