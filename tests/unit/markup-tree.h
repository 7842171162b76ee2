/* A small element tree built with GMarkup, for tests that read back what a
 * renderer wrote (the JUnit XML, the HTML page, which is well-formed XML):
 * elements with their attributes, children, and all text inside them,
 * descendants' text included. */
#pragma once

#include <glib.h>
#include <string.h>

typedef struct Node Node;
struct Node {
  char *name;
  GHashTable *attrs;
  GString *text;
  GPtrArray *children;
  Node *parent;
};

static void
node_free (Node *n)
{
  g_free (n->name);
  g_hash_table_unref (n->attrs);
  g_string_free (n->text, TRUE);
  g_ptr_array_unref (n->children);
  g_free (n);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Node, node_free)

static Node *
node_new (const char *name, Node *parent)
{
  Node *n = g_new0 (Node, 1);
  n->name = g_strdup (name);
  n->attrs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  n->text = g_string_new (NULL);
  n->children = g_ptr_array_new_with_free_func ((GDestroyNotify) node_free);
  n->parent = parent;
  return n;
}

static void
markup_on_start (GMarkupParseContext *ctx, const char *name, const char **names,
                 const char **values, gpointer data, GError **error)
{
  Node **cur = data;
  Node *n = node_new (name, *cur);

  for (guint i = 0; names[i] != NULL; i++)
    g_hash_table_insert (n->attrs, g_strdup (names[i]), g_strdup (values[i]));
  g_ptr_array_add ((*cur)->children, n);
  *cur = n;
}

static void
markup_on_end (GMarkupParseContext *ctx, const char *name, gpointer data, GError **error)
{
  Node **cur = data;
  *cur = (*cur)->parent;
}

static void
markup_on_text (GMarkupParseContext *ctx, const char *text, gsize len, gpointer data,
                GError **error)
{
  Node **cur = data;
  for (Node *n = *cur; n != NULL; n = n->parent)
    g_string_append_len (n->text, text, len);
}

/* Parses doc, which must start with prefix, and returns its root element. */
static Node *
markup_parse (const char *doc, const char *prefix)
{
  static const GMarkupParser parser = { markup_on_start, markup_on_end, markup_on_text, NULL,
                                        NULL };
  g_autoptr (Node) top = node_new ("", NULL);
  Node *cur = top;
  g_autoptr (GMarkupParseContext) ctx = g_markup_parse_context_new (&parser, 0, &cur, NULL);
  g_autoptr (GError) error = NULL;
  Node *root;

  g_assert_true (g_str_has_prefix (doc, prefix));
  g_markup_parse_context_parse (ctx, doc, -1, &error);
  g_assert_no_error (error);
  g_markup_parse_context_end_parse (ctx, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (top->children->len, ==, 1);
  root = g_ptr_array_steal_index (top->children, 0);
  root->parent = NULL;
  return root;
}

static const char *
attr (const Node *n, const char *name)
{
  return g_hash_table_lookup (n->attrs, name);
}
