package dev.portcullis.bastion.index;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.recording.event.SessionEvent;
import dev.portcullis.recording.event.TerminalEvent;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** How much of a session's output the search index takes: text, not binary; bulk text sampled; never a torn line. */
class OutputBudgetTest {

    private static final int RECORD = 32 * 1024;

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void terminalTextIsTextAndBinaryIsNot() {
        assertThat(OutputBudget.looksLikeText(utf8("\u001b[01;34mbin\u001b[0m  grüße ✓\r\n\tx\u0007\b")))
                .isTrue();
        assertThat(OutputBudget.looksLikeText(new byte[] {(byte) 0x9C, (byte) 0x93, 'o', 'k', (byte) 0xE2}))
                .as("a record may start and end inside a sequence (of ✓)")
                .isTrue();
        byte[] random = new byte[RECORD];
        new Random(1).nextBytes(random);
        assertThat(OutputBudget.looksLikeText(random)).isFalse();
        assertThat(OutputBudget.looksLikeText(new byte[RECORD])).as("NULs").isFalse();
        assertThat(OutputBudget.looksLikeText(utf8("PK\u0003\u0004\u0014\u0000\u0000\u0000\u0008\u0000..........")))
                .as("a zip header")
                .isFalse();
    }

    @Test
    void bulkTextIsTakenUpToTheBurstThenAtTheRate() {
        OutputBudget budget = new OutputBudget();
        byte[] text = utf8("x".repeat(RECORD - 1) + "\n");
        long taken = 0;
        // a megabyte every millisecond: far faster than anyone reads
        for (long micros = 0; micros < 10_000_000; micros += 30) {
            if (budget.take(text, micros)) {
                taken += text.length;
            }
        }
        long limit = OutputBudget.BURST + 10 * OutputBudget.PER_SECOND;
        assertThat(taken).isLessThanOrEqualTo(limit).isGreaterThan(limit - 2 * RECORD);
        assertThat(budget.overBudgetBytes()).isPositive();

        assertThat(budget.take(text, 20_000_000))
                .as("a pause refills the budget")
                .isTrue();
    }

    @Test
    void binaryOutputIsLeftOutAndALineItCutIsNotJoinedToTheNext() {
        SessionIndexer indexer = new SessionIndexer(UUID.randomUUID(), false, true);
        byte[] noise = new byte[RECORD];
        new Random(2).nextBytes(noise);
        indexer.bytes(TerminalEvent.Type.OUTPUT, 1, utf8("before the file\nhalf a li"));
        indexer.bytes(TerminalEvent.Type.OUTPUT, 2, noise);
        indexer.bytes(TerminalEvent.Type.OUTPUT, 3, utf8("ne\nafter the file\n"));
        indexer.event(4, SessionEvent.ended("done", 0, 0, 0));

        List<String> lines = indexer.drain().stream()
                .filter(e -> e.kind() == IndexEntry.Kind.OUTPUT)
                .map(IndexEntry::text)
                .toList();
        assertThat(lines).containsExactly("before the file", "ne", "after the file");
        assertThat(indexer.binaryBytes()).isEqualTo(RECORD);
    }
}
