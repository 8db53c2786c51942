package market

import (
	"slices"
	"strings"
	"testing"
	"time"

	"cloudmarket/shared/money"
	"cloudmarket/shared/workday"
)

// Every code API.md names is in the catalogue, with the annex's measures:
// R-VI1 rows general, every row below severe (the level cell is merged down).
func TestCatalogue_AnnexRows_R_VI1_R_VI9(t *testing.T) {
	t.Parallel()
	want := map[string]struct {
		level   ViolationLevel
		actions []PenaltyAction
		days    int
		deduct  money.Fen
	}{
		"spam_ads":                 {LevelGeneral, []PenaltyAction{ActionBlockContent, ActionDelistProduct}, 0, 0},
		"sensitive_info":           {LevelGeneral, []PenaltyAction{ActionBlockContent, ActionDelistProduct}, 0, 0},
		"obscene_content":          {LevelGeneral, []PenaltyAction{ActionBlockContent, ActionDelistProduct}, 0, 0},
		"content_misappropriation": {LevelGeneral, []PenaltyAction{ActionBlockContent, ActionDelistProduct}, 0, 0},
		"offline_trading":          {LevelSevere, []PenaltyAction{ActionExpel, ActionBanAccount, ActionDeductDeposit}, 0, money.Yuan(5000)},
		"traffic_diversion":        {LevelSevere, []PenaltyAction{ActionExpel, ActionBanAccount, ActionDeductDeposit}, 0, money.Yuan(5000)},
		"impersonation":            {LevelSevere, []PenaltyAction{ActionExpel, ActionBanAccount, ActionDeductDeposit}, 0, money.Yuan(5000)},
		"fake_trading":             {LevelSevere, []PenaltyAction{ActionBlockStore, ActionRestrictPublishing}, 15, 0},
		"malicious_report":         {LevelSevere, []PenaltyAction{ActionBlockStore, ActionRestrictPublishing}, 15, 0},
		"abuse_threat":             {LevelSevere, []PenaltyAction{ActionBlockStore, ActionRestrictPublishing}, 15, 0},
		"account_theft":            {LevelSevere, []PenaltyAction{ActionExpel, ActionBanAccount, ActionDeductDeposit}, 0, money.Yuan(5000)},
		"fraud":                    {LevelSevere, []PenaltyAction{ActionExpel, ActionBanAccount, ActionDeductDeposit}, 0, money.Yuan(5000)},
		"dishonest_behaviour":      {LevelSevere, []PenaltyAction{ActionBlockStore, ActionRestrictPublishing}, 30, 0},
		"lost_contact":             {LevelSevere, []PenaltyAction{ActionBlockStore, ActionRestrictPublishing}, 15, 0},
		"data_misuse":              {LevelSevere, []PenaltyAction{ActionBanAccount, ActionDeductDeposit}, 0, money.Yuan(5000)},
		"malicious_product_severe": {LevelSevere, []PenaltyAction{ActionBanAccount, ActionDeductDeposit}, 0, money.Yuan(5000)},
		"malicious_product":        {LevelSevere, []PenaltyAction{ActionBlockStore, ActionRestrictPublishing}, 15, 0},
		"entry_fraud":              {LevelSevere, []PenaltyAction{ActionBanAccount, ActionDeductDeposit}, 0, money.Yuan(5000)},
		"foreign_cloud_product":    {LevelSevere, []PenaltyAction{ActionBanAccount, ActionDeductDeposit}, 0, money.Yuan(5000)},
	}
	if Catalogue.Version == "" || len(Catalogue.Items) != len(want) {
		t.Fatalf("catalogue %s has %d rows, want %d", Catalogue.Version, len(Catalogue.Items), len(want))
	}
	for code, w := range want {
		got, ok := Catalogue.Type(code)
		if !ok {
			t.Errorf("%s missing", code)
			continue
		}
		if got.Level != w.level || !slices.Equal(got.Actions, w.actions) || got.Days != w.days || got.DeductFen != w.deduct || got.RuleRef == "" || got.Description == "" {
			t.Errorf("%s: %+v", code, got)
		}
	}
}

// A broken catalogue fails loudly at load, naming what is wrong.
func TestParseCatalogue_BrokenFilesFail(t *testing.T) {
	t.Parallel()
	row := `{"code":"x_row","level":"severe","actions":["block_store","restrict_publishing"],"days":15,"ruleRef":"R-VI3","description":"d"}`
	for name, c := range map[string]struct{ file, says string }{
		"not json":        {`{"version":`, "not a catalogue"},
		"unknown field":   {`{"version":"1","items":[` + row + `],"extra":1}`, "unknown field"},
		"no version":      {`{"version":"","items":[` + row + `]}`, "version is empty"},
		"no items":        {`{"version":"1","items":[]}`, "no items"},
		"duplicate code":  {`{"version":"1","items":[` + row + `,` + row + `]}`, "twice"},
		"unknown level":   {`{"version":"1","items":[` + strings.Replace(row, `"severe"`, `"minor"`, 1) + `]}`, "level"},
		"unknown action":  {`{"version":"1","items":[` + strings.Replace(row, `"block_store"`, `"shame"`, 1) + `]}`, "unknown action"},
		"days missing":    {`{"version":"1","items":[` + strings.Replace(row, `"days":15`, `"days":0`, 1) + `]}`, "days"},
		"deduct missing":  {`{"version":"1","items":[` + strings.Replace(row, `"restrict_publishing"`, `"deduct_deposit"`, 1) + `]}`, "deductFen"},
		"no description":  {`{"version":"1","items":[` + strings.Replace(row, `"description":"d"`, `"description":""`, 1) + `]}`, "description"},
		"bad code":        {`{"version":"1","items":[` + strings.Replace(row, `"x_row"`, `"X Row"`, 1) + `]}`, "snake_case"},
		"delist unscoped": {`{"version":"1","items":[{"code":"c","level":"general","actions":["delist_product"],"ruleRef":"R","description":"d"}]}`, "productScoped"},
	} {
		_, err := ParseCatalogue([]byte(c.file))
		if err == nil || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: %v, want an error saying %q", name, err, c.says)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("a broken embedded catalogue did not stop the program")
		}
	}()
	mustCatalogue([]byte(`{"version":"1","items":[]}`))
}

// R-WD4 and overlapping penalties: a block runs N×24 hours, a second one
// keeps the latest end, and the lift happens once, at until.
func TestProviderPenaltyBlock_R_WD4(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 7, 1, 1, 30, 0, 0, time.UTC)
	p := &Provider{ID: "prv_1", Status: ProviderActive}
	first, later := now.Add(15*24*time.Hour), now.Add(20*24*time.Hour)
	if !p.BlockStoreUntil(first, now) || !p.BlockStoreUntil(later, now) || p.BlockStoreUntil(later, now) {
		t.Fatal("block or extension not reported")
	}
	p.PublishRestrictedUntil = first
	if v := p.Store.View(now); v.Status != StoreBlocked || !v.Until.Equal(later) || p.StoreOpen(now) || !p.NextLiftAt().Equal(first) {
		t.Fatalf("view %+v next %v", v, p.NextLiftAt())
	}
	if s, r := p.LiftExpired(first.Add(-time.Millisecond)); s || r {
		t.Fatal("lifted early")
	}
	if s, r := p.LiftExpired(first); s || !r {
		t.Fatal("publishing not restored at its until")
	}
	if !p.NextLiftAt().Equal(later) || p.CheckPublishing(first) != nil {
		t.Fatalf("next lift %v", p.NextLiftAt())
	}
	if s, _ := p.LiftExpired(later); !s || !p.StoreOpen(later) || !p.NextLiftAt().IsZero() {
		t.Fatal("store not reopened at its until")
	}
	if s, r := p.LiftExpired(later.Add(time.Hour)); s || r {
		t.Fatal("lifted twice")
	}
}

// R-VI11 reversed: crediting back returns what was taken and forgives what is
// still owed; the deposit becomes whole again.
func TestCreditBack_R_VI11(t *testing.T) {
	t.Parallel()
	p := &Provider{Status: ProviderActive, Deposit: Deposit{RequiredFen: money.Yuan(2000), EverHeld: true, OwedFen: money.Yuan(1000), TopUpDueAt: time.Now()}}
	forgiven, whole := p.CreditBack(money.Yuan(2000), money.Yuan(3000))
	if forgiven != money.Yuan(1000) || !whole || p.Deposit.BalanceFen != money.Yuan(2000) || p.Deposit.OwedFen != 0 || !p.Deposit.TopUpDueAt.IsZero() {
		t.Fatalf("forgiven %v whole %v deposit %+v", forgiven, whole, p.Deposit)
	}
}

// Whatever bytes the catalogue file holds, loading either fails or gives a
// catalogue every penalty can run on: never a panic, never a row without
// actions or with an untimed restriction.
func FuzzParseCatalogue(f *testing.F) {
	f.Add(catalogueFile)
	f.Add([]byte(`{"version":"1","items":[{"code":"a_b","level":"severe","actions":["block_store"],"days":3,"ruleRef":"R","description":"d"}]}`))
	f.Add([]byte(`{"version":"1","items":[{"code":"a_b","level":"general","actions":["deduct_deposit"],"deductFen":-1,"ruleRef":"R","description":"d"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseCatalogue(data)
		if err != nil {
			return
		}
		for _, it := range c.Items {
			timed := slices.Contains(it.Actions, ActionBlockStore) || slices.Contains(it.Actions, ActionRestrictPublishing)
			if len(it.Actions) == 0 || timed != (it.Days > 0) || slices.Contains(it.Actions, ActionDeductDeposit) != (it.DeductFen > 0) {
				t.Fatalf("accepted a row no penalty can run on: %+v", it)
			}
		}
	})
}

// R-DP6: an expulsion counts as not executed while an appeal may still
// overturn it (the readmitted provider must find its deposit held), and any
// penalty while an appeal awaits its decision (an overturn credits a
// deduction back).
func TestOpenUntil_ExpulsionAppealWindow_R_DP6(t *testing.T) {
	t.Parallel()
	cal := workday.New()
	now := time.Date(2026, 9, 29, 10, 0, 0, 0, workday.Shanghai)
	for _, tc := range []struct {
		code       string
		appeal     bool
		wantOpenTo time.Time
	}{
		{code: "offline_trading", wantOpenTo: time.Date(2026, 10, 14, 23, 59, 59, 999e6, workday.Shanghai).Add(time.Millisecond)},
		{code: "data_misuse", wantOpenTo: time.Date(2026, 10, 14, 23, 59, 59, 999e6, workday.Shanghai).Add(time.Millisecond)},
		{code: "abuse_threat", wantOpenTo: now.Add(15 * 24 * time.Hour)},
		{code: "offline_trading", appeal: true, wantOpenTo: openForever},
		{code: "abuse_threat", appeal: true, wantOpenTo: openForever},
	} {
		p := activeProvider()
		v, err := NewViolation("vio_1", Catalogue, p, ViolationRequest{Type: tc.code, Evidence: "x"}, nil, SourceRisk, "", "risk", now)
		if err != nil {
			t.Fatal(err)
		}
		v.MarkApplied("risk", now, cal)
		if v.ExpulsionReversible(v.AppealDueAt) && v.Expels() && !v.OpenUntil().After(v.AppealDueAt) {
			t.Errorf("%s: open until %v, yet reversible at %v", tc.code, v.OpenUntil(), v.AppealDueAt)
		}
		if tc.appeal {
			if err := v.FileAppeal("不服", now); err != nil {
				t.Fatal(err)
			}
		}
		if got := v.OpenUntil(); !got.Equal(tc.wantOpenTo) {
			t.Errorf("%s appeal=%v: open until %v, want %v", tc.code, tc.appeal, got, tc.wantOpenTo)
		}
	}
}
