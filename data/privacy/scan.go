package privacy

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// The scanner finds phone and resident ID numbers in free text however
// they are written: ASCII or full-width digits, groups separated by
// spaces, dashes, dots or brackets, a +86 or 0086 country code. Digits are
// read as groups (runs of digits) chained by at most three separator
// characters; from each group the longest chain of groups whose digits form
// a number is masked, so "13812345678 13912345678" is two numbers and
// "139 1234 5678" one.

// digitOf maps ASCII and full-width digits to their ASCII byte.
func digitOf(r rune) (byte, bool) {
	switch {
	case r >= '0' && r <= '9':
		return byte(r), true
	case r >= '０' && r <= '９':
		return byte('0' + r - '０'), true
	}
	return 0, false
}

// isSeparator reports whether r may stand between the digit groups of one
// written number.
func isSeparator(r rune) bool {
	switch r {
	case ' ', '-', '.', '(', ')', '/', '\u00a0', '\u2009', '\u202f', '\u3000',
		'\u2010', '\u2011', '\u2012', '\u2013', '\u2014', '\u2212', '－', '（', '）', '．', '﹣':
		return true
	}
	return false
}

type numberKind uint8

const (
	kindNone numberKind = iota
	kindPhone
	kindID
)

// stripCountry removes a +86 / 0086 / 86 country code from the digits of
// a phone number; ok is false when the digits carry none.
func stripCountry(d string, plus bool) (string, bool) {
	switch {
	case strings.HasPrefix(d, "0086") && len(d) >= 13:
		return d[4:], true
	case plus && strings.HasPrefix(d, "86"):
		return d[2:], true
	case !plus && len(d) == 13 && strings.HasPrefix(d, "861") && d[3] >= '3':
		return d[2:], true
	}
	return d, false
}

// classify tells whether the digits d (X allowed last, for an ID) are a
// phone or a resident ID number; plus is a leading +.
func classify(d string, plus bool) numberKind {
	if len(d) == 18 && allDigits(d[:17]) && (isASCIIDigit(d[17]) || d[17] == 'X') && plausibleDate(d[6:14]) {
		return kindID
	}
	if !allDigits(d) {
		return kindNone
	}
	nat, country := stripCountry(d, plus)
	if len(nat) == 11 && nat[0] == '1' && nat[1] >= '3' && nat[1] <= '9' {
		return kindPhone // mobile
	}
	if nat != "" && nat[0] == '0' && len(nat) >= 10 && len(nat) <= 12 {
		return kindPhone // landline with its area code
	}
	if country && nat != "" && nat[0] >= '2' && len(nat) >= 9 && len(nat) <= 11 {
		return kindPhone // +86 landline written without the trunk 0
	}
	if plus && !country && len(d) >= 8 && len(d) <= 15 {
		return kindPhone // another country's number
	}
	return kindNone
}

func isASCIIDigit(b byte) bool { return b >= '0' && b <= '9' }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isASCIIDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

// plausibleDate reports whether YYYYMMDD could be a birth date on an ID.
func plausibleDate(s string) bool {
	y := atoi(s[:4])
	m := atoi(s[4:6])
	d := atoi(s[6:8])
	return y >= 1880 && y <= 2100 && m >= 1 && m <= 12 && d >= 1 && d <= 31
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// group is one run of digits in the text: byte offsets and its digits.
type group struct {
	start, end int
	digits     string
	plus       bool // a + stands right before it
	open       int  // offset of a "(" or "+" right before it, else start
}

// phoneCues are words after which a short run of digits is a phone number
// even without its area code.
var phoneCues = []string{"电话", "手机", "座机", "联系方式", "号码", "回电", "致电", "拨打", "来电", "tel", "Tel", "TEL", "phone", "Phone", "mobile"}

// groups splits s into digit groups and returns them with, for each, the
// index of the chain it belongs to.
func groups(s string) []group {
	var gs []group
	var b strings.Builder
	i := 0
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if _, ok := digitOf(r); !ok {
			i += n
			continue
		}
		g := group{start: i, open: i}
		if i > 0 {
			if p, pn := utf8.DecodeLastRuneInString(s[:i]); p == '+' || p == '＋' {
				g.plus, g.open = true, i-pn
				if i-pn > 0 {
					if q, qn := utf8.DecodeLastRuneInString(s[:i-pn]); q == '(' || q == '（' {
						g.open = i - pn - qn
					}
				}
			} else if p == '(' || p == '（' {
				g.open = i - pn
			}
		}
		b.Reset()
		for i < len(s) {
			r, n := utf8.DecodeRuneInString(s[i:])
			d, ok := digitOf(r)
			if !ok {
				if (r == 'X' || r == 'x' || r == 'Ｘ' || r == 'ｘ') && b.Len() == 17 {
					b.WriteByte('X')
					i += n
				}
				break
			}
			b.WriteByte(d)
			i += n
		}
		g.end, g.digits = i, b.String()
		gs = append(gs, g)
	}
	return gs
}

// chained reports whether groups a and b of s are one written number:
// only separators, at most three, stand between them.
func chained(s string, a, b group) bool {
	gap := s[a.end:b.start]
	if gap == "" || utf8.RuneCountInString(gap) > 3 {
		return false
	}
	for _, r := range gap {
		if !isSeparator(r) && r != '+' {
			return false
		}
	}
	return true
}

// maskNumbers masks every phone and ID number in s; text enables the
// looser rules meant for free text (numbers after a phone cue, overlong
// digit runs holding a mobile number).
func maskNumbers(s string, text bool) string {
	if countDigits(s) < 7 {
		return s
	}
	gs := groups(s)
	var out strings.Builder
	last := 0
	for i := 0; i < len(gs); {
		best, kind := -1, kindNone
		digits := ""
		for j := i; j < len(gs) && j < i+6; j++ {
			if j > i && !chained(s, gs[j-1], gs[j]) {
				break
			}
			digits += gs[j].digits
			if len(digits) > 20 {
				break
			}
			if k := classify(digits, gs[i].plus); k != kindNone {
				best, kind = j, k
			}
		}
		if best >= 0 && !text && !strictMatch(s, gs, i, best) {
			best = -1
		}
		if best < 0 && text {
			best, kind = looseMatch(s, gs, i)
		}
		if best < 0 {
			i++
			continue
		}
		start := spanStart(s, gs, i, best)
		if start < last {
			start = gs[i].start
		}
		var d strings.Builder
		for j := i; j <= best; j++ {
			d.WriteString(gs[j].digits)
		}
		out.WriteString(s[last:start])
		num := d.String()
		if kind == kindPhone {
			if nat, ok := stripCountry(num, gs[i].plus); ok {
				num = nat
			}
		}
		out.WriteString(MaskPhone(num))
		last = gs[best].end
		i = best + 1
	}
	if last == 0 {
		return s
	}
	out.WriteString(s[last:])
	return out.String()
}

// strictMatch applies the rules for strings that are not free text (codes,
// ids, names of things): a number glued to letters (I0000000002, tk_…) is
// part of an identifier, and a landline counts only when written with a
// separator after its area code.
func strictMatch(s string, gs []group, i, j int) bool {
	start, end := spanStart(s, gs, i, j), gs[j].end
	if r, _ := utf8.DecodeLastRuneInString(s[:start]); start > 0 && identRune(r) {
		return false
	}
	if r, _ := utf8.DecodeRuneInString(s[end:]); end < len(s) && identRune(r) {
		return false
	}
	d := gs[i].digits
	return !(i == j && !gs[i].plus && len(d) > 0 && d[0] == '0' && len(d) < 18)
}

func identRune(r rune) bool {
	return r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
}

// spanStart is where the written number of groups i..j begins: its +
// country sign, and an opening bracket when the bracket closes inside the
// number, as in (0632)3312345.
func spanStart(s string, gs []group, i, j int) int {
	g := gs[i]
	if g.open == g.start {
		return g.start
	}
	start := g.start
	if g.plus {
		_, n := utf8.DecodeLastRuneInString(s[:g.start])
		start -= n
	}
	if start > g.open { // a bracket before it
		for k := i; k < j; k++ {
			if gap := s[gs[k].end:gs[k+1].start]; strings.ContainsAny(gap, ")）") {
				return g.open
			}
		}
	}
	return start
}

// looseMatch applies the free-text rules at group i: 7 or 8 digits after a
// phone cue are a local number; a digit run longer than any number that
// holds a mobile number is masked whole.
func looseMatch(s string, gs []group, i int) (int, numberKind) {
	g := gs[i]
	if len(g.digits) > 18 {
		for k := 0; k+11 <= len(g.digits); k++ {
			if classify(g.digits[k:k+11], false) == kindPhone {
				return i, kindPhone
			}
		}
	}
	digits, end := "", i
	for j := i; j < len(gs) && j < i+3; j++ {
		if j > i && !chained(s, gs[j-1], gs[j]) {
			break
		}
		digits += gs[j].digits
		end = j
		if len(digits) >= 7 {
			break
		}
	}
	if len(digits) < 7 || len(digits) > 8 {
		return -1, kindNone
	}
	before := s[max(0, g.open-24):g.open]
	for _, c := range phoneCues {
		if k := strings.LastIndex(before, c); k >= 0 && utf8.RuneCountInString(before[k+len(c):]) <= 4 {
			return end, kindPhone
		}
	}
	return -1, kindNone
}

func countDigits(s string) int {
	n := 0
	for _, r := range s {
		if _, ok := digitOf(r); ok {
			n++
		}
	}
	return n
}

// nameCues are words after which a person's name usually follows.
var nameCues = []string{"姓名", "联系人", "报告人", "报案人", "反映人", "举报人", "投诉人", "来电人", "求助人", "当事人", "申请人", "户主", "居民", "业主", "住户", "租户", "网格员", "网格长", "老人", "市民"}

// maskText masks numbers, the known names and cue-word names in s.
func maskText(s string, names []string, text bool) string {
	s = maskNumbers(s, text)
	if !text {
		return s
	}
	for _, n := range names {
		n = strings.TrimSpace(n)
		if utf8.RuneCountInString(n) >= 2 && strings.Contains(s, n) {
			s = strings.ReplaceAll(s, n, MaskName(n))
		}
	}
	return maskVerbNames(maskCueNames(s))
}

// nameVerbs are words that follow a person's name in a report (张丽华称,
// 王小明反映, 刘芳芳家).
var nameVerbs = []string{"反映", "报称", "报警", "来电", "投诉", "举报", "表示", "称", "说", "讲", "家", "报", "诉", "告知", "要求"}

// maskVerbNames masks a family name and one or two more Han characters
// written right before a reporting verb.
func maskVerbNames(s string) string {
	var out strings.Builder
	last := 0
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if !surnames[r] {
			i += n
			continue
		}
		end := -1
		j := i + n
		for k := 0; k < 2 && j < len(s); k++ {
			g, gn := utf8.DecodeRuneInString(s[j:])
			if !unicode.Is(unicode.Han, g) || stopAfterName[g] {
				break
			}
			j += gn
			if followsVerb(s[j:]) {
				end = j
			}
		}
		if end < 0 {
			i += n
			continue
		}
		out.WriteString(s[last:i])
		out.WriteString(MaskName(s[i:end]))
		last, i = end, end
	}
	if last == 0 {
		return s
	}
	out.WriteString(s[last:])
	return out.String()
}

func followsVerb(rest string) bool {
	for _, v := range nameVerbs {
		if strings.HasPrefix(rest, v) {
			return true
		}
	}
	return false
}

// maskCueNames masks a name written after a cue word (联系人张三): a common
// family name and one or two more Han characters.
func maskCueNames(s string) string {
	for _, c := range nameCues {
		from := 0
		for {
			k := strings.Index(s[from:], c)
			if k < 0 {
				break
			}
			at := from + k + len(c)
			// an optional colon or space
			for at < len(s) {
				r, n := utf8.DecodeRuneInString(s[at:])
				if r != ':' && r != '：' && r != ' ' && r != '\u3000' && r != '是' && r != '为' {
					break
				}
				at += n
			}
			end := nameEnd(s, at)
			if end > at {
				s = s[:at] + MaskName(s[at:end]) + s[end:]
			}
			from = at
			if from >= len(s) {
				break
			}
		}
	}
	return s
}

// nameEnd returns the end of a name starting at s[at:], or at when none
// starts there: a family name and one or two given-name characters.
func nameEnd(s string, at int) int {
	sur := 0
	if r, n := utf8.DecodeRuneInString(s[at:]); at < len(s) && surnames[r] {
		sur = n
		if r2, n2 := utf8.DecodeRuneInString(s[at+n:]); at+n < len(s) && compoundSurname(string(r)+string(r2)) {
			sur += n2
		}
	}
	if sur == 0 {
		return at
	}
	end := at + sur
	for k := 0; k < 2 && end < len(s); k++ {
		r, n := utf8.DecodeRuneInString(s[end:])
		if !unicode.Is(unicode.Han, r) || stopAfterName[r] {
			break
		}
		end += n
	}
	if end == at+sur {
		return at // a family name alone (王师傅) names nobody
	}
	return end
}

// stopAfterName are characters that end a name rather than continue it.
var stopAfterName = runeSet("说反称电报在的家先女等和及与、，。说讲告称住楼报称投来去到向对给被把让叫打")

var surnames = runeSet("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝")

var compoundSurnames = []string{"欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "长孙", "宇文", "夏侯", "轩辕", "端木", "司徒", "南宫", "独孤"}

func compoundSurname(s string) bool {
	for _, c := range compoundSurnames {
		if s == c {
			return true
		}
	}
	return false
}

func runeSet(s string) map[rune]bool {
	m := make(map[rune]bool, len(s)/3)
	for _, r := range s {
		m[r] = true
	}
	return m
}
