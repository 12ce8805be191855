/* Exercises tagwall's whole C ABI; run by tests/agent/capi.rs with the bundled example cluster
 * (examples/test-network-policy.yaml) as its argument. Prints "all checks passed" and exits 0,
 * or names the failed check and exits 1. */

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "tagwall.h"

static int failures = 0;

#define CHECK(cond)                                                              \
  do {                                                                           \
    if (!(cond)) {                                                               \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
      failures++;                                                                \
    }                                                                            \
  } while (0)

static struct tagwall_tuple tcp4(const uint8_t src[4], const uint8_t dst[4], uint16_t port) {
  struct tagwall_tuple t;
  memset(&t, 0, sizeof t);
  t.family = 4;
  t.protocol = 6;
  t.src_port = 40000;
  t.dst_port = port;
  memcpy(t.src, src, 4);
  memcpy(t.dst, dst, 4);
  return t;
}

/* Pods of the example: default/frontend, default/db, other/client. */
static const uint8_t FRONTEND[4] = {10, 244, 1, 11};
static const uint8_t DB[4] = {10, 244, 1, 10};
static const uint8_t OTHER_CLIENT[4] = {10, 244, 3, 30};

static void bad_input(void) {
  char *error = NULL;
  const char *missing[] = {"/nonexistent/cluster.yaml"};
  struct tagwall_engine *engine = tagwall_engine_from_files(missing, 1, TAGWALL_MODE_KUBERNETES, &error);
  CHECK(engine == NULL);
  CHECK(error != NULL && strstr(error, "/nonexistent/cluster.yaml: cannot read") != NULL);
  tagwall_string_free(error);

  const char *invalid = "kind: NetworkPolicy\nmetadata: {name: test}\nspec:\n  ingress: [{ports: [{port: 80, endPort: 79}]}]\n";
  error = NULL;
  engine = tagwall_engine_from_bytes((const uint8_t *)invalid, strlen(invalid), "bad.yaml",
                                     TAGWALL_MODE_KUBERNETES, &error);
  CHECK(engine == NULL);
  CHECK(error != NULL &&
        strcmp(error, "bad.yaml: NetworkPolicy default/test: spec.ingress[0].ports[0].endPort: "
                      "`79` must be greater than or equal to `port` (`80`)") == 0);
  tagwall_string_free(error);

  /* Null pointers are refused, never dereferenced. */
  error = NULL;
  CHECK(tagwall_engine_from_bytes(NULL, 5, NULL, TAGWALL_MODE_KUBERNETES, &error) == NULL);
  CHECK(error != NULL);
  tagwall_string_free(error);
  CHECK(tagwall_engine_apply(NULL, (const uint8_t *)"{}", 2, NULL, NULL) == -1);
  CHECK(tagwall_engine_snapshot(NULL) == NULL);
  CHECK(tagwall_snapshot_lookup(NULL, NULL, NULL) == -1);
  CHECK(tagwall_engine_generation(NULL) == 0);
  tagwall_engine_free(NULL);
  tagwall_snapshot_free(NULL);
  tagwall_conntrack_free(NULL);
  tagwall_string_free(NULL);
}

static void lookups(struct tagwall_engine *engine) {
  struct tagwall_snapshot *snapshot = tagwall_engine_snapshot(engine);
  CHECK(snapshot != NULL);
  CHECK(tagwall_snapshot_generation(snapshot) == tagwall_engine_generation(engine));

  struct tagwall_tuple allowed = tcp4(FRONTEND, DB, 6379);
  struct tagwall_verdict verdict;
  CHECK(tagwall_snapshot_lookup(snapshot, &allowed, &verdict) == 0);
  CHECK(verdict.allowed == 1);
  CHECK(verdict.ingress.kind == TAGWALL_SIDE_PASS);
  CHECK(verdict.ingress.rule != NULL &&
        strcmp(verdict.ingress.rule, "default-ingress-test-network-policy-0-podSelector-2-0") == 0);
  CHECK(verdict.ingress.policy != NULL && strcmp(verdict.ingress.policy, "default-test-network-policy") == 0);
  CHECK(verdict.egress.kind == TAGWALL_SIDE_PASS);
  CHECK(verdict.egress.rule != NULL && strcmp(verdict.egress.rule, "allowall-egress") == 0);

  struct tagwall_tuple denied = tcp4(OTHER_CLIENT, DB, 6379);
  CHECK(tagwall_snapshot_lookup(snapshot, &denied, &verdict) == 0);
  CHECK(verdict.allowed == 0);
  CHECK(verdict.ingress.kind == TAGWALL_SIDE_DENY);
  CHECK(verdict.ingress.rule != NULL &&
        strcmp(verdict.ingress.rule, "default-test-network-policy-denyall-ingress") == 0);

  /* A bad family is refused. */
  struct tagwall_tuple bad = allowed;
  bad.family = 5;
  CHECK(tagwall_snapshot_lookup(snapshot, &bad, &verdict) == -1);

  /* A batch answers as single lookups do, and counts the malformed tuples. */
  struct tagwall_tuple batch[3] = {allowed, denied, bad};
  struct tagwall_verdict verdicts[3];
  CHECK(tagwall_snapshot_lookup_batch(snapshot, batch, 3, verdicts) == 1);
  CHECK(verdicts[0].allowed == 1 && verdicts[1].allowed == 0 && verdicts[2].allowed == 0);
  CHECK(verdicts[2].egress.kind == TAGWALL_SIDE_NO_MATCH && verdicts[2].ingress.rule == NULL);
  CHECK(verdicts[1].ingress.rule != NULL &&
        strcmp(verdicts[1].ingress.rule, "default-test-network-policy-denyall-ingress") == 0);
  CHECK(tagwall_snapshot_lookup_batch(snapshot, NULL, 0, NULL) == 0);
  tagwall_snapshot_free(snapshot);
}

/* A policy letting other/client reach db on 6379, as a watch event. */
static const char *ALLOW_OTHER =
    "{\"type\": \"ADDED\", \"object\": {\"apiVersion\": \"networking.k8s.io/v1\", \"kind\": \"NetworkPolicy\","
    " \"metadata\": {\"name\": \"allow-other\", \"namespace\": \"default\"},"
    " \"spec\": {\"podSelector\": {\"matchLabels\": {\"role\": \"db\"}}, \"ingress\": [{\"from\": [{\"namespaceSelector\":"
    " {\"matchLabels\": {\"kubernetes.io/metadata.name\": \"other\"}}}]}]}}}\n";
static const char *DELETE_OTHER =
    "{\"type\": \"DELETED\", \"object\": {\"apiVersion\": \"networking.k8s.io/v1\", \"kind\": \"NetworkPolicy\","
    " \"metadata\": {\"name\": \"allow-other\", \"namespace\": \"default\"}}}\n";

static void events_and_conntrack(struct tagwall_engine *engine) {
  char *error = NULL;
  struct tagwall_conntrack *table = tagwall_conntrack_new(1024, &error);
  CHECK(table != NULL && error == NULL);

  struct tagwall_tuple denied = tcp4(OTHER_CLIENT, DB, 6379);
  struct tagwall_packet packet;
  CHECK(tagwall_conntrack_packet(table, engine, &denied, 1000, &packet) == 0);
  CHECK(packet.allowed == 0 && packet.outcome == TAGWALL_OUTCOME_NEW);

  /* A bad event among good ones: skipped with its position, the others applied. */
  uint64_t before = tagwall_engine_generation(engine);
  char stream[2048];
  snprintf(stream, sizeof stream, "{\"type\": \"ADDED\", \"object\": {\"kind\": \"Pod\", \"metadata\": {\"name\": 7}}}\n%s",
           ALLOW_OTHER);
  CHECK(tagwall_engine_apply(engine, (const uint8_t *)stream, strlen(stream), "watch", &error) == 1);
  CHECK(error != NULL && strncmp(error, "watch: event 1 (line 1): ", 25) == 0);
  tagwall_string_free(error);
  CHECK(tagwall_engine_generation(engine) == before + 1);

  /* The connection is decided again under the new policy: now allowed, and its reply passes. */
  CHECK(tagwall_conntrack_packet(table, engine, &denied, 2000, &packet) == 0);
  CHECK(packet.allowed == 1);
  CHECK(packet.verdict.generation == before + 1);
  CHECK(packet.verdict.ingress.kind == TAGWALL_SIDE_PASS && packet.verdict.ingress.rule == NULL);
  struct tagwall_tuple reply = denied;
  memcpy(reply.src, denied.dst, 16);
  memcpy(reply.dst, denied.src, 16);
  reply.src_port = denied.dst_port;
  reply.dst_port = denied.src_port;
  CHECK(tagwall_conntrack_packet(table, engine, &reply, 3000, &packet) == 0);
  CHECK(packet.allowed == 1 && packet.reply == 1 && packet.outcome == TAGWALL_OUTCOME_HIT);
  CHECK(tagwall_conntrack_len(table) >= 1);

  /* The snapshot names the new policy's rule. */
  struct tagwall_snapshot *snapshot = tagwall_engine_snapshot(engine);
  struct tagwall_verdict verdict;
  CHECK(tagwall_snapshot_lookup(snapshot, &denied, &verdict) == 0);
  CHECK(verdict.allowed == 1 && verdict.ingress.policy != NULL &&
        strcmp(verdict.ingress.policy, "default-allow-other") == 0);

  /* Deleting it denies the live connection at its next packet, both ways. */
  error = NULL;
  CHECK(tagwall_engine_apply(engine, (const uint8_t *)DELETE_OTHER, strlen(DELETE_OTHER), NULL, &error) == 0);
  CHECK(error == NULL);
  CHECK(tagwall_conntrack_packet(table, engine, &reply, 4000, &packet) == 0);
  CHECK(packet.allowed == 0 && packet.outcome == TAGWALL_OUTCOME_REEVALUATED);
  /* The snapshot taken before still answers as it did, names included. */
  CHECK(tagwall_snapshot_lookup(snapshot, &denied, &verdict) == 0);
  CHECK(verdict.allowed == 1 && strcmp(verdict.ingress.policy, "default-allow-other") == 0);
  tagwall_snapshot_free(snapshot);
  tagwall_conntrack_free(table);
}

/* Lookups on worker threads while the main thread applies events. */
static atomic_int stop;
static atomic_long lookups_done;
static atomic_int wrong;

static void *looker(void *arg) {
  struct tagwall_engine *engine = arg;
  struct tagwall_tuple allowed = tcp4(FRONTEND, DB, 6379);
  struct tagwall_tuple toggled = tcp4(OTHER_CLIENT, DB, 6379);
  while (!atomic_load(&stop)) {
    struct tagwall_snapshot *snapshot = tagwall_engine_snapshot(engine);
    struct tagwall_verdict a, b;
    if (tagwall_snapshot_lookup(snapshot, &allowed, &a) != 0 || a.allowed != 1) atomic_fetch_add(&wrong, 1);
    if (tagwall_snapshot_lookup(snapshot, &toggled, &b) != 0) atomic_fetch_add(&wrong, 1);
    /* Whichever generation answered, its verdict and its rule's name agree. */
    if (b.allowed && (b.ingress.policy == NULL || strcmp(b.ingress.policy, "default-allow-other") != 0))
      atomic_fetch_add(&wrong, 1);
    if (!b.allowed && (b.ingress.rule == NULL || strcmp(b.ingress.rule, "default-test-network-policy-denyall-ingress") != 0))
      atomic_fetch_add(&wrong, 1);
    tagwall_snapshot_free(snapshot);
    atomic_fetch_add(&lookups_done, 2);
  }
  return NULL;
}

static void concurrent(struct tagwall_engine *engine) {
  pthread_t threads[2];
  for (int i = 0; i < 2; i++) CHECK(pthread_create(&threads[i], NULL, looker, engine) == 0);
  uint64_t before = tagwall_engine_generation(engine);
  for (int i = 0; i < 20; i++) {
    const char *event = (i % 2 == 0) ? ALLOW_OTHER : DELETE_OTHER;
    CHECK(tagwall_engine_apply(engine, (const uint8_t *)event, strlen(event), NULL, NULL) == 0);
  }
  atomic_store(&stop, 1);
  for (int i = 0; i < 2; i++) pthread_join(threads[i], NULL);
  CHECK(tagwall_engine_generation(engine) == before + 20);
  CHECK(atomic_load(&wrong) == 0);
  CHECK(atomic_load(&lookups_done) > 0);
  printf("concurrent: %ld lookups while 20 events applied\n", atomic_load(&lookups_done));
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: agent CLUSTER.yaml\n");
    return 2;
  }
  bad_input();
  char *error = NULL;
  const char *paths[] = {argv[1]};
  struct tagwall_engine *engine = tagwall_engine_from_files(paths, 1, TAGWALL_MODE_KUBERNETES, &error);
  CHECK(engine != NULL && error == NULL);
  if (engine == NULL) {
    fprintf(stderr, "%s\n", error ? error : "(no message)");
    tagwall_string_free(error);
    return 1;
  }
  CHECK(tagwall_engine_generation(engine) == 1);
  lookups(engine);
  events_and_conntrack(engine);
  concurrent(engine);
  tagwall_engine_free(engine);
  if (failures) {
    printf("%d checks failed\n", failures);
    return 1;
  }
  printf("all checks passed\n");
  return 0;
}
