package dev.lens4j.transformer;

/**
 * TransformerLens's config switches that add hook points, each with the way a lens4j model turns it on: the
 * one place that says so, for the message that refuses a hook on a point a switch left out.
 */
enum HookSwitch {
    /** {@code blocks.L.attn.hook_result}. */
    ATTN_RESULT("use_attn_result", "model.withHookSwitches(true, splitQkvInput, hookMlpIn, attnIn)"),
    /** {@code blocks.L.hook_q_input}, {@code hook_k_input}, {@code hook_v_input}. */
    SPLIT_QKV_INPUT("use_split_qkv_input", "model.withHookSwitches(attnResult, true, hookMlpIn, attnIn)"),
    /** {@code blocks.L.hook_mlp_in}. */
    HOOK_MLP_IN("use_hook_mlp_in", "model.withHookSwitches(attnResult, splitQkvInput, true, attnIn)"),
    /** {@code blocks.L.hook_attn_in}. */
    ATTN_IN("use_attn_in", "model.withHookSwitches(attnResult, splitQkvInput, hookMlpIn, true)"),
    /** {@code hook_tokens}. */
    HOOK_TOKENS("use_hook_tokens", "model.withHookTokens(true)");

    private final String key;
    private final String turnOn;

    HookSwitch(String key, String turnOn) {
        this.key = key;
        this.turnOn = turnOn;
    }

    /**
     * Why a point this switch adds is missing, and how to get it.
     *
     * @return e.g. "it exists when use_attn_result is on, which it is not in this model: model.withHookSwitches(...)
     *         returns a view of the same weights that has it"
     */
    String hint() {
        return "it exists when " + key + " is on, which it is not in this model: " + turnOn
                + " returns a view of the same weights that has it";
    }
}
