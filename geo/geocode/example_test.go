package geocode_test

import (
	"fmt"

	"github.com/gridmap/gridmap/data/synth"
	"github.com/gridmap/gridmap/geo"
	"github.com/gridmap/gridmap/geo/geocode"
)

func ExampleNormalize() {
	fmt.Println(geocode.Normalize("山东省枣庄市市中区青檀社区居委会幸福小区三号楼二单元５０２户"))
	// Output: 市中区青檀社区幸福小区3号楼2单元502室
}

func ExampleParse() {
	p, _ := geocode.Parse("枣庄市中区青檀路东首 幸福苑3#")
	for _, n := range p.Names {
		fmt.Println(n.Level, n.Text)
	}
	fmt.Println("building", p.Building, "noise", p.Noise)
	// Output:
	// district 市中区
	// road 青檀路
	// compound 幸福苑
	// building 3 noise [东首]
}

func ExampleGazetteer_Geocode() {
	city, _ := synth.City(synth.Options{Seed: 1})
	ix, _ := geo.NewIndex(city)
	g, _ := geocode.New(city, ix)
	for _, q := range []string{"龙泉社区幸福小区一期２栋二单元五零二", "龙泉社区幸福小区3号楼", "清泉社区幸福小区"} {
		a, _ := g.Geocode(q, 3)
		b := a.Best()
		fmt.Println(a.Status, b.GridCode, b.Confidence)
		if a.Message != "" {
			fmt.Println(" ", a.Message)
		}
	}
	// Output:
	// ok 370403001029001 1
	// ok 370403001029001 1
	// ambiguous 370403001001004 0.5
	//   幸福小区 has phases in different grids (幸福小区一期 / 幸福小区三期) — give the phase (期) or the road and house number
}
