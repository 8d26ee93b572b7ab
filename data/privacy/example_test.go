package privacy_test

import (
	"fmt"

	"github.com/gridmap/gridmap/data/privacy"
)

func ExampleMaskText() {
	fmt.Println(privacy.MaskText("联系人张三，电话 +86 139 1234 5678，身份证 37040219900101123X"))
	// Output: 联系人张*，电话 139****5678，身份证 370***********123X
}

func ExampleApply() {
	type caller struct {
		Name  string `json:"name" privacy:"name"`
		Phone string `json:"phone" privacy:"phone"`
	}
	type report struct {
		ID     string `json:"id" privacy:"public"`
		Text   string `json:"text" privacy:"text"`
		Caller caller `json:"caller"`
	}
	r := report{ID: "GM20261126-000001", Text: "王小明说楼道堆物，回电13912345678", Caller: caller{"王小明", "13912345678"}}
	fmt.Printf("%+v\n", privacy.Apply(r, privacy.Viewer))
	fmt.Printf("%+v\n", privacy.Apply(r, privacy.Anonymous))
	// Output:
	// {ID:GM20261126-000001 Text:王**说楼道堆物，回电139****5678 Caller:{Name:王** Phone:139****5678}}
	// {ID:GM20261126-000001 Text: Caller:{Name:王** Phone:139****5678}}
}
