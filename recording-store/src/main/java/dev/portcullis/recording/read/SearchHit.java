package dev.portcullis.recording.read;

/**
 * Where terminal output matched a search.
 *
 * @param time    seconds into the recording when the output holding the first matched character appeared
 * @param endTime seconds into the recording when the output holding the last matched character appeared
 * @param text    the matched text, with escape sequences removed
 */
public record SearchHit(double time, double endTime, String text) {}
