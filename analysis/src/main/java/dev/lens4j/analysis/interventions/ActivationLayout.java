package dev.lens4j.analysis.interventions;

/**
 * Where the head and position dimensions of a hook point's activation are, from its name.
 *
 * <ul>
 *   <li>{@code hook_pattern}, {@code hook_attn_scores}: {@code [batch, head_index, query_pos, key_pos]}
 *       (positions are query positions)</li>
 *   <li>{@code hook_q}, {@code hook_k}, {@code hook_v}, {@code hook_z}, {@code hook_result},
 *       {@code hook_q_input}, {@code hook_k_input}, {@code hook_v_input}, {@code hook_attn_in}:
 *       {@code [batch, pos, head_index, ...]}</li>
 *   <li>everything else: {@code [batch, pos, ...]}, no head dimension</li>
 * </ul>
 *
 * @param posAxis the position axis
 * @param headAxis the head axis, or -1 when the activation has none
 */
record ActivationLayout(int posAxis, int headAxis) {

    static ActivationLayout of(String hookName) {
        if (hookName.endsWith(".hook_pattern") || hookName.endsWith(".hook_attn_scores")) {
            return new ActivationLayout(2, 1);
        }
        String leaf = hookName.substring(hookName.lastIndexOf('.') + 1);
        return switch (leaf) {
            case "hook_q", "hook_k", "hook_v", "hook_z", "hook_result", "hook_q_input", "hook_k_input", "hook_v_input",
                 "hook_attn_in" -> new ActivationLayout(1, 2);
            default -> new ActivationLayout(1, -1);
        };
    }

    boolean hasHeads() {
        return headAxis >= 0;
    }
}
