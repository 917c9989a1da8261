package dev.imagegen.api.clients;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * The keys file: plain and hashed keys, per-key limits, and errors that name the file and the entry.
 */
class ApiKeyFileTests {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	@TempDir
	Path dir;

	private Path file(String json) throws Exception {
		Path file = this.dir.resolve("keys.json");
		Files.writeString(file, json);
		return file;
	}

	@Test
	void plainAndHashedKeysAreKeptOnlyAsHashes() throws Exception {
		String bobKey = "bob-secret-0123456789";
		Map<String, ApiKey> keys = ApiKeyFile.read(file("""
				{"keys":[{"name":"alice","key":"alice-secret-0123456789","generationsPerMinute":5,"maxConcurrent":1},
				         {"name":"bob","sha256":"%s"}]}""".formatted(ApiKeyFile.sha256(bobKey).toUpperCase())), JSON);
		assertThat(keys).hasSize(2);
		ApiKey alice = keys.get(ApiKeyFile.sha256("alice-secret-0123456789"));
		assertThat(alice).isEqualTo(new ApiKey("alice", ApiKeyFile.sha256("alice-secret-0123456789"), 5, 1));
		assertThat(keys.get(ApiKeyFile.sha256(bobKey)).name()).isEqualTo("bob");
		assertThat(keys.get(ApiKeyFile.sha256(bobKey)).generationsPerMinute()).isNull();
		assertThat(keys.toString()).doesNotContain("alice-secret");
	}

	@ParameterizedTest(name = "{1}")
	@CsvSource(delimiter = '|', value = {
			"{\"keys\":[{\"name\":\"a\",\"key\":\"short\"}]}                                   | keys[0] (a): \"key\" must be at least 16",
			"{\"keys\":[{\"key\":\"0123456789abcdef0\"}]}                                      | keys[0]: \"name\" must be",
			"{\"keys\":[{\"name\":\"a\"}]}                                                     | keys[0] (a): give exactly one of",
			"{\"keys\":[{\"name\":\"a\",\"sha256\":\"abc\"}]}                                  | keys[0] (a): \"sha256\" must be 64 hex",
			"{\"keys\":[{\"name\":\"a\",\"key\":\"0123456789abcdef0\",\"maxConcurrent\":0}]}    | keys[0] (a): \"maxConcurrent\" must be",
			"{\"keys\":[{\"name\":\"a\",\"key\":\"0123456789abcdef0\",\"rate\":3}]}             | keys[0] (a): unknown field 'rate'",
			"{\"keys\":[{\"name\":\"a\",\"key\":\"0123456789abcdef0\"},{\"name\":\"a\",\"key\":\"0123456789abcdef1\"}]} | keys[1]: the name 'a' is used twice",
			"{\"keys\":[{\"name\":\"a\",\"key\":\"0123456789abcdef0\"},{\"name\":\"b\",\"key\":\"0123456789abcdef0\"}]} | keys[1] (b): the same key is listed twice",
			"{\"keys\":{}}                                                                      | must be a JSON object with a \"keys\" array",
			"{\"keys\":[                                                                        | is not valid JSON" })
	void aBadFileNamesTheFileAndTheEntry(String json, String message) throws Exception {
		Path file = file(json);
		assertThatIllegalArgumentException().isThrownBy(() -> ApiKeyFile.read(file, JSON))
			.withMessageStartingWith("API_KEYS_FILE " + file)
			.withMessageContaining(message)
			.withMessageNotContaining("0123456789abcdef");
	}

	@Test
	void aMissingFileSaysSo() {
		Path missing = this.dir.resolve("nope.json");
		assertThatIllegalArgumentException().isThrownBy(() -> ApiKeyFile.read(missing, JSON))
			.withMessageContaining("API_KEYS_FILE " + missing + " cannot be read");
	}

}
