// compose-oracle prints the canonical model of a compose project as compose-go, the library docker
// compose reads files with, loads it: the JSON of `docker compose config --format json`. Dockyard's
// differential test (test/unit/composeOracle.test.ts) compares stacks/compose/load.ts with it.
//
// Usage:
//
//	compose-oracle [--project-directory DIR] [--env-file FILE]... [--profile NAME]...
//	               [--project-name NAME] [--no-env-resolution] [--no-path-resolution] FILE...
//	compose-oracle --each [--no-env-resolution] [--no-path-resolution] FILE...
//
// As docker compose: the project directory is the first file's folder unless given; the variables
// are the environment over the env files (by default .env in the project directory); profiles are
// the --profile flags, else COMPOSE_PROFILES; further files are merged over the first. Unlike
// `docker compose config`, networks, volumes and secrets no service uses are kept, as the file
// declares them. A file compose-go refuses: its error on stderr, exit code 1. Wrong usage: exit code 2.
//
// --each loads every FILE as a project of its own (in its own folder, with its own .env) and prints
// one JSON object instead: each file as given → {"model": <the model>} or {"error": "<message>"};
// the exit code is 0 whatever the files hold.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/compose-spec/compose-go/v2/cli"
)

type list []string

func (l *list) String() string     { return fmt.Sprint(*l) }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

type settings struct {
	projectDir, projectName           string
	envFiles, profiles                list
	noEnvResolution, noPathResolution bool
}

// load reads the files as one project and returns its model as docker compose config prints it.
func load(files []string, s settings) (json.RawMessage, error) {
	optionFns := []cli.ProjectOptionsFn{
		cli.WithWorkingDirectory(s.projectDir),
		cli.WithOsEnv,
		cli.WithEnvFiles(s.envFiles...),
		cli.WithDotEnv,
		cli.WithDefaultProfiles(s.profiles...),
		cli.WithName(s.projectName),
		cli.WithResolvedPaths(!s.noPathResolution),
	}
	if s.noEnvResolution {
		optionFns = append(optionFns, cli.WithoutEnvironmentResolution)
	}
	options, err := cli.NewProjectOptions(files, optionFns...)
	if err != nil {
		return nil, err
	}
	project, err := options.LoadProject(context.Background())
	if err != nil {
		return nil, err
	}
	return project.MarshalJSON()
}

type outcome struct {
	Model json.RawMessage `json:"model,omitempty"`
	Error string          `json:"error,omitempty"`
}

func main() {
	var s settings
	var each bool
	flags := flag.NewFlagSet("compose-oracle", flag.ContinueOnError)
	flags.StringVar(&s.projectDir, "project-directory", "", "the project directory (default: the first file's folder)")
	flags.StringVar(&s.projectName, "project-name", "", "the project name (default: name: in the file, else the project directory's)")
	flags.Var(&s.envFiles, "env-file", "a file of variables, instead of .env in the project directory (repeatable)")
	flags.Var(&s.profiles, "profile", "a profile to enable, * for all (repeatable; default: COMPOSE_PROFILES)")
	flags.BoolVar(&s.noEnvResolution, "no-env-resolution", false, "keep environment as written: env_file not read into it, bare names not looked up")
	flags.BoolVar(&s.noPathResolution, "no-path-resolution", false, "keep relative paths relative")
	flags.BoolVar(&each, "each", false, "load each file as a project of its own; print one JSON object of their models and errors")
	if err := flags.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	if flags.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "compose-oracle: name at least one compose file")
		os.Exit(2)
	}

	var out []byte
	var err error
	if each {
		outcomes := map[string]outcome{}
		for _, file := range flags.Args() {
			model, loadErr := load([]string{file}, s)
			if loadErr != nil {
				outcomes[file] = outcome{Error: loadErr.Error()}
			} else {
				outcomes[file] = outcome{Model: model}
			}
		}
		out, err = json.MarshalIndent(outcomes, "", "  ")
	} else {
		out, err = load(flags.Args(), s)
	}
	if err == nil {
		_, err = os.Stdout.Write(append(out, '\n'))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
