package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/gridmap/gridmap/data/store"
	"github.com/gridmap/gridmap/server"
)

// The token command registers itself so that main.go's table stays as it
// is while other commands are added beside it.
func init() {
	commands["token"] = command{"create, list or revoke API tokens (roles: viewer, dispatcher, planner, organiser, admin)", cmdToken}
}

func cmdToken(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	const synopsis = "token create --data city.gpkg --role ROLE --name NAME\n       gridmap token list --data city.gpkg\n       gridmap token revoke --data city.gpkg ID|NAME"
	if len(args) == 0 {
		fmt.Fprintf(stderr, "Usage: gridmap %s\n", synopsis)
		return &exitError{2, errors.New("token: want create, list or revoke")}
	}
	sub, args := args[0], args[1:]
	fs := newFlags("token "+sub, synopsis, stderr)
	path := dataFlag(fs)
	var role, name *string
	if sub == "create" {
		role = fs.String("role", "", "viewer, dispatcher, planner, organiser or admin")
		name = fs.String("name", "", "who or what holds the token (e.g. wall-map-1, dispatcher-zhang)")
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	open := func() (store.Store, error) { return openStore(ctx, *path) }
	switch sub {
	case "create":
		if fs.NArg() != 0 {
			return failf(2, "token create takes no arguments")
		}
		secret, tok, err := server.NewToken(*role, *name)
		if err != nil {
			return &exitError{2, err}
		}
		st, err := open()
		if err != nil {
			return err
		}
		defer st.Close()
		tok.CreatedBy = "cli"
		if err := st.CreateToken(ctx, tok); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "created token %s (%s, role %s); it is shown once, only its hash is stored:\n", tok.ID, tok.Name, tok.Role)
		fmt.Fprintln(stdout, secret)
		return nil
	case "list":
		st, err := open()
		if err != nil {
			return err
		}
		defer st.Close()
		ts, err := st.Tokens(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tROLE\tCREATED\tREVOKED")
		for _, t := range ts {
			rev := "-"
			if !t.RevokedAt.IsZero() {
				rev = t.RevokedAt.Format("2006-01-02 15:04")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, t.Role, t.CreatedAt.Format("2006-01-02 15:04"), rev)
		}
		return tw.Flush()
	case "revoke":
		if fs.NArg() != 1 {
			return failf(2, "token revoke takes one token id or name")
		}
		st, err := open()
		if err != nil {
			return err
		}
		defer st.Close()
		n, err := st.RevokeToken(ctx, fs.Arg(0), "cli")
		if errors.Is(err, store.ErrNotFound) {
			return failf(1, "no valid token %q", fs.Arg(0))
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "revoked %d token(s)\n", n)
		return nil
	}
	return failf(2, "token: unknown subcommand %q (want create, list or revoke)", sub)
}
