package services

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A sending system's name becomes the SFTP root's folder: a name that could climb out of
// batches/<system>/ is refused before anything is made or started.
func TestStartSFTPRefusesANameThatIsNotAFolder(t *testing.T) {
	for _, name := range []string{"", "..", "billing/../finance", "a/b", `a\b`, "billing."} {
		dir := filepath.Join(t.TempDir(), "sftp")
		s, err := StartSFTP(context.Background(), dir, name, "cfp-documents", "http://127.0.0.1:1", S3Credentials{}, 0, nil)
		if err == nil {
			_ = s.Close()
			t.Errorf("%q: started", name)
			continue
		}
		if _, statErr := os.Stat(dir); !strings.Contains(err.Error(), "folder name") || statErr == nil {
			t.Errorf("%q: %v (key directory made: %v)", name, err, statErr == nil)
		}
	}
}

func TestKnownHostsLineNamesThePortAndTheKey(t *testing.T) {
	pub := filepath.Join(t.TempDir(), "host_ed25519.pub")
	if err := os.WriteFile(pub, []byte("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB1R+yxuftmgXvlXcNHz55k7BKGWTBd76wMxRk1CUFPV cfp-local-sftp-host\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	line, err := KnownHostsLine(pub, "127.0.0.1:2022")
	if err != nil || line != "[127.0.0.1]:2022 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB1R+yxuftmgXvlXcNHz55k7BKGWTBd76wMxRk1CUFPV\n" {
		t.Fatalf("%q %v", line, err)
	}
	if _, err := KnownHostsLine(pub, "2022"); err == nil {
		t.Error("an address without a host was accepted")
	}
}
