package journal

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/256dpi/lungo"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"
)

// TestAcknowledgedWritesSurviveKill9 runs a child process (this test binary
// again) that writes in a loop and prints each write after the engine
// acknowledged it, kills it with SIGKILL at a random moment, and checks that
// every acknowledged write is there after reopening. The small compaction
// threshold makes the kill land in compactions too.
func TestAcknowledgedWritesSurviveKill9(t *testing.T) {
	if dir := os.Getenv("JOURNAL_CRASH_DIR"); dir != "" {
		crashChild(dir, os.Getenv("JOURNAL_CRASH_ROUND"))
		return
	}
	t.Parallel()
	dir := t.TempDir()
	counter := 0 // the last acknowledged value of the counter document
	for round := range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestAcknowledgedWritesSurviveKill9$")
		cmd.Env = append(os.Environ(), "JOURNAL_CRASH_DIR="+dir, "JOURNAL_CRASH_ROUND="+strconv.Itoa(round))
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		must(t, err)
		must(t, cmd.Start())
		acked := make(chan string)
		go func() {
			defer close(acked)
			lines := bufio.NewScanner(out)
			for lines.Scan() {
				if ack, ok := strings.CutPrefix(lines.Text(), "ack "); ok {
					acked <- ack
				}
			}
		}()
		var ids []string
		kill := time.After(time.Hour)
		for ack := range acked {
			if len(ids) == 0 {
				kill = time.After(time.Duration(100+rand.IntN(300)) * time.Millisecond)
			}
			ids = append(ids, ack)
			select {
			case <-kill:
				must(t, cmd.Process.Kill()) // SIGKILL
			default:
			}
		}
		_ = cmd.Wait()
		if len(ids) == 0 {
			t.Fatal("the child acknowledged nothing")
		}

		cat := reopened(t, dir)
		have := map[string]bool{}
		var got int
		for _, d := range cat.Namespaces[lungo.Handle{"db", "a"}].Documents.List {
			id, _ := d.Map()["_id"].(string)
			have[id] = true
			if id == "counter" {
				got = int(d.Map()["n"].(int32))
			}
		}
		for _, id := range ids {
			if n, ok := strings.CutPrefix(id, "counter="); ok {
				counter, _ = strconv.Atoi(n)
			} else if !have[id] {
				t.Fatalf("round %d: acknowledged %s is missing after kill -9 (%d acknowledged)", round, id, len(ids))
			}
		}
		if got < counter {
			t.Fatalf("round %d: counter %d, but %d was acknowledged", round, got, counter)
		}
		t.Logf("round %d: %d acknowledged writes, all there", round, len(ids))
	}
}

func crashChild(dir, round string) {
	j, err := Open(dir, Options{CompactAt: 4 << 10})
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(1)
	}
	client, _, err := lungo.Open(ctx, lungo.Options{Store: j,
		MinOplogSize: 64, MaxOplogSize: 64, MinOplogAge: time.Second, MaxOplogAge: time.Second})
	if err != nil {
		fmt.Println("engine:", err)
		os.Exit(1)
	}
	c := client.Database("db").Collection("a")
	pad := strings.Repeat("z", 200)
	for i := 0; ; i++ {
		id := fmt.Sprintf("r%s-%d", round, i)
		if _, err := c.InsertOne(ctx, bson.M{"_id": id, "pad": pad}); err != nil {
			fmt.Println("insert:", err)
			os.Exit(1)
		}
		fmt.Println("ack", id)
		r, _ := strconv.Atoi(round)
		n := int32(r<<20 + i + 1) // above every value of the rounds before
		if _, err := c.UpdateOne(ctx, bson.M{"_id": "counter"}, bson.M{"$set": bson.M{"n": n}}, options.Update().SetUpsert(true)); err != nil {
			fmt.Println("update:", err)
			os.Exit(1)
		}
		fmt.Printf("ack counter=%d\n", n)
	}
}
