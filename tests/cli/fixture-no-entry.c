/* A shared module that is not a bot-bottle plugin: it exports no
 * bb_plugin_get_descriptor(). The loader must report it and go on. */
int bb_fixture_not_a_plugin(void);

int
bb_fixture_not_a_plugin(void)
{
    return 42;
}
