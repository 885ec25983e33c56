package dev.lens4j.transformer.loading;

import dev.lens4j.tensor.io.FileErrors;
import dev.lens4j.tensor.internal.Json;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Reading the small JSON files of a checkpoint folder, with errors that name the file. */
final class JsonFiles {

    private JsonFiles() {}

    /**
     * @param file a JSON file holding one object
     * @return its members
     * @throws java.nio.file.NoSuchFileException if it does not exist
     * @throws CheckpointFormatException if it is not UTF-8 or not a JSON object
     * @throws IOException naming the file if it cannot be read (a folder, a symbolic-link loop, ...)
     */
    static Map<String, Object> readObject(Path file) throws IOException {
        FileErrors.requireNotDirectory(file, "a JSON file");
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw FileErrors.naming(file, e);
        }
        return parseObject(file.toString(), bytes);
    }

    /**
     * @param name the file or resource name, for messages
     * @param bytes its content
     * @return its members
     * @throws CheckpointFormatException if it is not UTF-8 or not a JSON object
     */
    static Map<String, Object> parseObject(String name, byte[] bytes) throws CheckpointFormatException {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new CheckpointFormatException(name, "not valid UTF-8", e);
        }
        try {
            return Json.parseObject(text);
        } catch (IllegalArgumentException e) {
            throw new CheckpointFormatException(name, "not a valid JSON object: " + e.getMessage(), e);
        }
    }
}
