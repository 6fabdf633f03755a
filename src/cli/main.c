/* main.c — the `signstgcn` binary: one subcommand table, nothing else.
 *
 * `signstgcn <command> [flags]`; `signstgcn --help` lists the commands, and every command
 * takes --help. Commands live in src/cli/cmd_<name>.c and return the exit code
 * (0 ok, 1 failure, 2 usage).
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

#define SIGNSTGCN_VERSION "0.1.0"

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    {"synth", cmd_synth, "write the built-in synthetic demo dataset"},
    {"inspect", cmd_inspect, "list a dataset's files, members, frames, windows and labels"},
    {"splits", cmd_splits, "split a dataset's videos into train/val/test (JSON)"},
    {"train", cmd_train, "train a detector or recogniser; checkpoints, metrics"},
    {"predict", cmd_predict, "class probabilities for every window of new videos (CSV)"},
    {"embed", cmd_embed, "2-d picture (PCA or t-SNE) of the window embeddings"},
    {"variations", cmd_variations, "train the eight model variants and summarise them"},
    {"eval", cmd_eval, "metrics, confusion matrix, per-signer accuracy and signer probe of a checkpoint"},
    {"detect", cmd_detect, "signing per frame and as segments (CSV, ELAN, PNG) in whole recordings; live from stdin"},
    {"convert", cmd_convert, "convert recordings between npz, .pose and OpenPose JSON"},
    {"extract", cmd_extract, "MediaPipe Holistic landmarks of videos, offline (optional extractor)"},
    {"version", cmd_version, "print the version"},
};

static void print_help(FILE *f)
{
    fprintf(f, "usage: signstgcn <command> [flags]   (signstgcn <command> --help)\n\n"
               "Sign language detection and recognition from landmarks (ST-GCN).\n\n"
               "commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-11s %s\n", commands[i].name, commands[i].summary);
}

int cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("signstgcn %s\n", SIGNSTGCN_VERSION);
    return CLI_OK;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_help(stderr);
        return CLI_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        print_help(stdout);
        return CLI_OK;
    }
    if (!strcmp(argv[1], "--version")) return cmd_version(0, NULL);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "signstgcn: unknown command '%s'\n", argv[1]);
    print_help(stderr);
    return CLI_USAGE;
}
