module gotemplate-oracle

go 1.19
