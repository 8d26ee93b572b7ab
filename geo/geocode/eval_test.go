package geocode

import (
	"flag"
	"os"
	"strings"
	"testing"
)

var (
	evalN    = flag.Int("geocode.eval", 0, "run the full evaluation with this many addresses and print the figures (make geocode-eval)")
	evalSeed = flag.Uint64("geocode.seed", 7, "seed of the evaluation set")
	evalOut  = flag.String("geocode.out", "", "write the evaluation addresses to this file, one a line (for the batch figure)")
)

// TestEval runs a small evaluation set with assertions; with
// -geocode.eval=N it runs N addresses and prints the figures.
func TestEval(t *testing.T) {
	g := demoGazetteer(t)
	n := 2000
	if *evalN > 0 {
		n = *evalN
	}
	set := evalSet(g, n, *evalSeed)
	r := runEval(g, set)
	t.Logf("\n%s", r)
	if *evalN > 0 || testing.Verbose() {
		for _, e := range r.Examples {
			t.Log(e)
		}
	}
	if acc := float64(r.ClearRight) / float64(r.Clear); acc < 0.98 {
		t.Errorf("top-1 grid accuracy %.4f < 0.98", acc)
	}
	if r.Confident > 0 {
		if w := float64(r.ConfidentWrong) / float64(r.Confident); w > 0.005 {
			t.Errorf("wrong grid among confident answers %.4f > 0.005", w)
		}
	}
	if r.Ambig > 0 {
		if f := float64(r.AmbigConfident) / float64(r.Ambig); f > 0.01 {
			t.Errorf("%.3f of ambiguous inputs answered with confidence ≥ 0.9", f)
		}
	}
	// The forms set: one row per form.
	forms := evalForms(g, max(50, n/8), *evalSeed)
	if *evalOut != "" {
		var sb strings.Builder
		for _, e := range set {
			sb.WriteString(strings.ReplaceAll(e.Query, "\n", " ") + "\n")
		}
		for _, e := range forms {
			sb.WriteString(strings.ReplaceAll(e.Query, "\n", " ") + "\n")
		}
		if err := os.WriteFile(*evalOut, []byte(sb.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fr := runForms(g, forms)
	t.Logf("\n%s", fr)
	if *evalN > 0 || testing.Verbose() {
		for _, e := range fr.examples {
			t.Log(e)
		}
	}
	for _, f := range formOrder {
		x := fr.rows[f]
		if x.confidentWrong > 0 {
			t.Errorf("%s: %d confident wrong answers", f, x.confidentWrong)
		}
		switch f {
		case formOtherCity:
			if x.refused != x.n {
				t.Errorf("%s: %d of %d refused, want all", f, x.refused, x.n)
			}
		case formIntersection, formIntersectionOffset, formLandmark, formLandmarkGate, formLandmarkOffset, formStationShort, formBusStop:
			if x.clear > 0 && float64(x.right) < 0.98*float64(x.clear) {
				t.Errorf("%s: right grid %d of %d < 98%%", f, x.right, x.clear)
			}
		}
	}
}
