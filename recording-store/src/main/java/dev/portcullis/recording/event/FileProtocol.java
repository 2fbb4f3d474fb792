package dev.portcullis.recording.event;

/** How a file moved through the bastion. */
public enum FileProtocol {
    SFTP,
    SCP
}
