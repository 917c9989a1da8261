package dev.imagegen.api.problem;

/**
 * One offending request parameter of a {@code validation-error} problem.
 *
 * @param parameter the parameter's name as the caller wrote it (e.g. {@code guidance_scale})
 * @param message what is wrong with it and what is allowed
 */
public record InvalidParameter(String parameter, String message) {
}
