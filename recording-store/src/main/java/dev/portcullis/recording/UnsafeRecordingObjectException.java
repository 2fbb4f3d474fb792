package dev.portcullis.recording;

import java.io.IOException;

/**
 * Something in a recording's place in the store is not what a recorder writes: a symbolic link, a directory, a
 * device or pipe, or an object far larger than any recorder makes. The store refuses to read through it, so a
 * recording cannot be made to point at other files the reader can open (the broker's keys, say).
 */
public final class UnsafeRecordingObjectException extends IOException {

    public UnsafeRecordingObjectException(String message) {
        super(message);
    }
}
