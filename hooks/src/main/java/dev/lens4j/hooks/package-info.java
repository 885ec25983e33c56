/**
 * TransformerLens-style hooks: named {@link dev.lens4j.hooks.HookPoint}s, {@link dev.lens4j.hooks.Hook}s
 * that observe or replace an activation, scoped model-level hooks ({@link dev.lens4j.hooks.HookRegistry},
 * {@link dev.lens4j.hooks.HookHandle}), the per-pass resolution of hooks
 * ({@link dev.lens4j.hooks.ForwardHooks}) and the {@link dev.lens4j.hooks.ActivationCache} with
 * TransformerLens's {@code get_act_name} shorthand ({@link dev.lens4j.hooks.ActNames}).
 *
 * <p>Hook point names are exactly TransformerLens's, for example {@code blocks.0.attn.hook_pattern}.
 */
package dev.lens4j.hooks;
