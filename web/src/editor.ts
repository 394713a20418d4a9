/**
 * The shared editor: CodeMirror 6 bound to the connection's Y.Text and awareness by y-codemirror.next
 * (others' cursors and selections with their names). Language packs load on demand (esbuild splits
 * them out), so the room's first load carries only the editor core.
 */
import { basicSetup } from 'codemirror';
import { indentWithTab } from '@codemirror/commands';
import { Compartment, EditorState, type Extension } from '@codemirror/state';
import { EditorView, keymap } from '@codemirror/view';
import { yCollab } from 'y-codemirror.next';
import * as Y from 'yjs';
import type { Connection } from '../../client/src/index.js';

const MODES: Record<string, () => Promise<Extension>> = {
  javascript: async () => (await import('@codemirror/lang-javascript')).javascript(),
  typescript: async () => (await import('@codemirror/lang-javascript')).javascript({ typescript: true }),
  python: async () => (await import('@codemirror/lang-python')).python(),
  java: async () => (await import('@codemirror/lang-java')).java(),
  cpp: async () => (await import('@codemirror/lang-cpp')).cpp(),
  c: async () => (await import('@codemirror/lang-cpp')).cpp(),
  go: async () => (await import('@codemirror/lang-go')).go(),
  rust: async () => (await import('@codemirror/lang-rust')).rust(),
};

/** Remote cursors always show their owner's name (y-codemirror.next shows it on hover only). */
const namedCursors = EditorView.theme({
  '.cm-ySelectionInfo': { opacity: '1', fontFamily: 'system-ui, sans-serif', top: '-1.25em' },
  // Room above the first line for a name label.
  '.cm-content': { paddingTop: '14px' },
});

export interface SharedEditor {
  view: EditorView;
  setLanguage(language: string): Promise<void>;
  setReadOnly(readOnly: boolean): void;
}

export function createEditor(parent: HTMLElement, connection: Connection, label: string): SharedEditor {
  const mode = new Compartment();
  const readOnly = new Compartment();
  const undoManager = new Y.UndoManager(connection.text);
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: connection.text.toString(),
      extensions: [
        basicSetup,
        // Tab indents; Escape then Tab leaves the editor (CodeMirror's documented keyboard escape hatch).
        keymap.of([indentWithTab]),
        mode.of([]),
        readOnly.of(EditorState.readOnly.of(false)),
        yCollab(connection.text, connection.awareness, { undoManager }),
        namedCursors,
        EditorView.contentAttributes.of({ 'aria-label': label }),
      ],
    }),
  });
  let requested = '';
  return {
    view,
    async setLanguage(language) {
      requested = language;
      const load = MODES[language];
      const extension = load ? await load() : [];
      if (requested !== language) return; // a later change won while this pack loaded
      view.dispatch({ effects: mode.reconfigure(extension) });
    },
    setReadOnly(value) {
      view.dispatch({ effects: readOnly.reconfigure([EditorState.readOnly.of(value), EditorView.editable.of(!value)]) });
    },
  };
}
