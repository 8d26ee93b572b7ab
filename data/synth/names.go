package synth

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Main roads of each district's urban core, east–west then north–south.
// The real trunk roads of Zaozhuang come first where they belong.
var mainRoads = map[string][2][]string{
	"370402": {{"光明路", "君山路", "文化路", "建华路", "振兴路", "西昌路", "华山路"}, {"青檀路", "龙头路", "解放路", "立新路", "新华路", "税郭路"}},
	"370403": {{"光明大道", "黄河路", "长江路", "珠江路", "淮河路", "永福路", "铁道路"}, {"泰山路", "华山路", "嵩山路", "衡山路", "武夷山路", "祁连山路", "燕山路"}},
	"370404": {{"坛山路", "榴园路", "承水路", "峄州路"}, {"峨山路", "匡衡路", "吴林路", "园林路"}},
	"370405": {{"运河大道", "金光路", "箭道街", "兴中路"}, {"华兴路", "文化路", "台城路", "古城路"}},
	"370406": {{"府前路", "汉诺路", "翼云路", "山城路"}, {"北京路", "东方路", "新城路", "城头路"}},
	"370481": {{"荆河路", "北辛路", "龙泉路", "学院路", "杏坛路", "大同路", "墨子路"}, {"善国路", "解放路", "平行路", "塔寺路", "新兴路", "鲁班路"}},
}

var (
	roadFirst  = []rune("兴和安福康宁民仁义德泰华新建永长益惠顺明昌盛平丰文中育春秋柳枫桃杏槐松竹梅兰荷")
	roadSecond = []rune("华安平乐康宁兴业源园山河阳庆丰泰和林苑丰顺祥瑞昌盛隆达")

	compoundPrefix = []string{
		"幸福", "和谐", "阳光", "金色", "锦绣", "龙山", "青檀", "光明", "文化", "建华", "振兴", "华府", "盛世",
		"书香", "翰林", "紫薇", "丽景", "御园", "东湖", "西城", "南苑", "北园", "康居", "怡景", "铁路", "矿务局",
		"供电", "教师", "税务", "百合", "金泰", "银座", "鑫源", "泰山", "君山", "荆河", "善国", "运河", "古城",
		"凤鸣", "世纪", "天元", "恒大", "碧桂园", "万达", "龙庭", "翡翠", "玉兰", "海棠", "香榭", "清华", "博雅",
		"新天地", "国际", "滨河", "南湖", "山水", "东方", "汇泉", "嘉和", "福泰", "永安", "建业", "鲁南", "兴城",
		"春华", "秋实", "观澜", "悦府", "金域", "绿城", "融创", "中海", "保利", "万科", "龙湖", "华润", "正荣",
		"阳湖", "青龙", "凤凰", "紫金", "鸿福", "德馨", "仁和", "瑞丰", "祥和", "聚福", "安居", "丽都", "名门",
		"水岸", "枫林", "桃源", "杏林", "松鹤", "翠湖", "银河", "星河", "明珠", "富华", "宏达", "金鼎", "嘉禾", "永兴",
	}
	// courtyards tell apart the compounds of one community that share a
	// name prefix (only when a community has more compounds than there are
	// prefixes).
	courtyards     = []string{"东院", "西院", "南院", "北院", "中院", "前院", "后院", "新院", "老院", "上院"}
	compoundSuffix = []string{"小区", "小区", "小区", "花园", "家园", "苑", "新村", "宿舍", "公寓", "嘉园", "名都", "佳苑", "雅居", "华庭"}

	surnames   = []rune("王张李刘孙陈杨赵徐高褚马周吴胡朱郭何罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段")
	givenChars = []rune("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红建国志海燕文斌鹏辉宇浩凯健俊峰晨雪颖琳晶欣佳慧婷倩睿博瑞涵泽宁")

	propertyCompanies = []string{
		"枣庄鲁南物业服务有限公司", "枣庄金鼎物业管理有限公司", "枣庄市城建物业有限公司", "山东华润物业服务有限公司",
		"枣庄安居物业有限公司", "滕州市善国物业服务有限公司", "枣庄龙庭物业管理有限公司", "薛城区新城物业服务有限公司",
		"枣庄银座物业有限公司", "山东万达物业服务有限公司", "枣庄市矿业物业管理有限公司", "台儿庄运河物业服务有限公司",
		"峄城区榴园物业有限公司", "山亭区翼云物业服务有限公司", "枣庄恒信物业管理有限公司", "枣庄绿城物业服务有限公司",
		"滕州市荆河物业管理有限公司", "枣庄嘉和物业服务有限公司", "枣庄福泰物业有限公司", "枣庄君山物业管理有限公司",
	}

	municipalDepts = []string{
		"市委组织部", "市委宣传部", "市委统战部", "市委政法委", "市发展和改革委员会", "市教育局", "市科学技术局", "市工业和信息化局",
		"市公安局", "市民政局", "市司法局", "市财政局", "市人力资源和社会保障局", "市自然资源和规划局", "市生态环境局",
		"市住房和城乡建设局", "市交通运输局", "市水务局", "市农业农村局", "市商务局", "市文化和旅游局", "市卫生健康委员会",
		"市退役军人事务局", "市应急管理局", "市审计局", "市市场监督管理局", "市统计局", "市医疗保障局", "市城市管理局",
		"市行政审批服务局", "市信访局", "市大数据中心", "市税务局", "市供电公司", "市总工会", "团市委", "市妇联", "市残联",
	}
	districtDepts = []string{
		"区委办公室", "区委组织部", "区委宣传部", "区纪委监委", "区发展和改革局", "区教育和体育局", "区公安分局", "区民政局",
		"区司法局", "区财政局", "区人力资源和社会保障局", "区住房和城乡建设局", "区交通运输局", "区水利局", "区农业农村局",
		"区商务局", "区文化和旅游局", "区卫生健康局", "区应急管理局", "区市场监督管理局", "区综合行政执法局", "区城市管理局",
		"区行政审批服务局", "区医疗保障局", "区退役军人事务局", "区统计局", "区审计局", "区信访局", "区税务局", "区总工会",
	}
)

// personName returns a plausible Chinese personal name.
func personName(rng *rand.Rand) string {
	var b strings.Builder
	b.WriteRune(surnames[rng.IntN(len(surnames))])
	n := 1 + rng.IntN(2)
	if rng.IntN(10) < 3 {
		n = 1
	}
	for i := 0; i < n; i++ {
		b.WriteRune(givenChars[rng.IntN(len(givenChars))])
	}
	return b.String()
}

// phone returns a plausible mainland mobile number.
func phone(rng *rand.Rand) string {
	prefixes := []string{"130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155", "157", "158", "159", "176", "177", "178", "180", "181", "182", "183", "185", "186", "187", "188", "189", "199"}
	return fmt.Sprintf("%s%08d", prefixes[rng.IntN(len(prefixes))], rng.IntN(100000000))
}

// minorRoadName invents a road name unique within used.
func minorRoadName(rng *rand.Rand, used map[string]bool, class string) string {
	suffix := "路"
	if class == "branch" {
		suffix = []string{"街", "巷", "路"}[rng.IntN(3)]
	}
	for {
		n := string(roadFirst[rng.IntN(len(roadFirst))]) + string(roadSecond[rng.IntN(len(roadSecond))]) + suffix
		if !used[n] {
			used[n] = true
			return n
		}
	}
}

// communityShort turns 铁西居委会 into 铁西社区 and 公园社区居委会 into 公园社区.
func communityShort(name string) string {
	s := strings.TrimSuffix(name, "居民委员会")
	s = strings.TrimSuffix(s, "居委会")
	if !strings.HasSuffix(s, "社区") {
		s += "社区"
	}
	return s
}
